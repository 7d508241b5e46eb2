/**
 * Envelope encryption for vault records: AES-256-GCM under a data key that the KeyService wraps.
 *
 * Why hand-written (ARCHITECTURE.md): we need a per-record AAD together with a data-key cache.
 * The KMS encryption context of data keys is fixed per purpose, so one data key can serve many
 * records; what binds a ciphertext to its record is the GCM AAD (purpose, customer id, token id).
 * The record's key id and key version are checked against what the key service authenticates when
 * it unwraps (KMS `KeyId` + `KeyMaterialId`, or the local blob header), not placed in the GCM AAD:
 * a rewrap must change them while the ciphertext stays as it is.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { type Clock, clock } from '../lib/clock.ts';
import { decryptionFailed, type KeyContext, type KeyService } from '../lib/key-service.ts';

/** What the vault stores; every field is a string, binary ones in base64. */
export interface EnvelopeRecord {
  ciphertext: string;
  iv: string;
  tag: string;
  wrappedKey: string;
  keyId: string;
  keyVersion: string;
}

/** Who the record belongs to; a record copied to another customer or token does not open. */
export interface RecordBinding {
  customerId: string;
  tokenId: string;
}

export interface EnvelopeCipherOptions {
  keyService: KeyService;
  /** The wrapping key for new data keys (a KMS key ARN or alias, or a local key name). */
  keyId: string;
  /** Fixed KMS encryption context of the data keys, and part of every record's AAD. */
  purpose?: string;
  /** Data-key cache bounds: encryptions (or decryptions) per key, and age in ms by `clock`. */
  maxUses?: number;
  maxAgeMs?: number;
  /** How many unwrapped data keys the decrypt cache keeps (least recently used goes first). */
  maxCachedKeys?: number;
  /** Defaults to the process clock, read at each use (so `setClock` in tests applies). */
  clock?: Clock;
}

export const DEFAULT_MAX_USES = 1_000;
export const DEFAULT_MAX_AGE_MS = 5 * 60_000;
export const DEFAULT_MAX_CACHED_KEYS = 100;

const ALGORITHM = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const AAD_SCHEME = 'tessera/envelope/v1';

interface CachedKey {
  key: Buffer;
  keyId: string | undefined;
  keyVersion: string | undefined;
  uses: number;
  createdAt: number;
  destroyed: boolean;
}

interface ActiveKey extends CachedKey {
  wrapped: string;
  keyId: string;
  keyVersion: string;
}

function destroy(entry: CachedKey): void {
  entry.key.fill(0);
  entry.destroyed = true;
}

function decode(value: unknown, bytes?: number): Buffer {
  if (typeof value !== 'string') throw decryptionFailed();
  const buffer = Buffer.from(value, 'base64');
  if (bytes !== undefined && buffer.byteLength !== bytes) throw decryptionFailed();
  return buffer;
}

export class EnvelopeCipher {
  readonly keyId: string;
  readonly purpose: string;
  readonly #keys: KeyService;
  readonly #context: KeyContext;
  readonly #maxUses: number;
  readonly #maxAgeMs: number;
  readonly #maxCachedKeys: number;
  readonly #clock: Clock | undefined;
  #active: ActiveKey | undefined;
  #generating: Promise<void> | undefined;
  readonly #decryptCache = new Map<string, CachedKey>();
  readonly #unwrapping = new Map<string, Promise<CachedKey>>();

  constructor(options: EnvelopeCipherOptions) {
    this.keyId = options.keyId;
    this.purpose = options.purpose ?? 'card-vault';
    this.#keys = options.keyService;
    this.#context = { purpose: this.purpose };
    this.#maxUses = options.maxUses ?? DEFAULT_MAX_USES;
    this.#maxAgeMs = options.maxAgeMs ?? DEFAULT_MAX_AGE_MS;
    this.#maxCachedKeys = options.maxCachedKeys ?? DEFAULT_MAX_CACHED_KEYS;
    this.#clock = options.clock;
    if (!(this.#maxUses >= 1 && this.#maxAgeMs > 0 && this.#maxCachedKeys >= 1)) {
      throw new RangeError('EnvelopeCipher cache bounds must be positive');
    }
  }

  async encrypt(plaintext: Buffer, binding: RecordBinding): Promise<EnvelopeRecord> {
    const aad = this.#aad(binding);
    for (;;) {
      const active = this.#active;
      // Check and use in one synchronous step: no other call can retire (zero) the key between.
      if (active && this.#usable(active)) {
        active.uses++;
        const iv = randomBytes(IV_BYTES);
        const cipher = createCipheriv(ALGORITHM, active.key, iv, { authTagLength: TAG_BYTES });
        cipher.setAAD(aad);
        const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
        return {
          ciphertext: ciphertext.toString('base64'),
          iv: iv.toString('base64'),
          tag: cipher.getAuthTag().toString('base64'),
          wrappedKey: active.wrapped,
          keyId: active.keyId,
          keyVersion: active.keyVersion,
        };
      }
      if (active) {
        this.#active = undefined;
        destroy(active);
      }
      // Concurrent callers share one GenerateDataKey.
      this.#generating ??= this.#generate().finally(() => {
        this.#generating = undefined;
      });
      await this.#generating;
    }
  }

  async decrypt(record: EnvelopeRecord, binding: RecordBinding): Promise<Buffer> {
    const iv = decode(record.iv, IV_BYTES);
    const tag = decode(record.tag, TAG_BYTES);
    const ciphertext = decode(record.ciphertext);
    const wrapped = decode(record.wrappedKey);
    if (
      wrapped.byteLength === 0 ||
      typeof record.keyId !== 'string' ||
      typeof record.keyVersion !== 'string'
    ) {
      throw decryptionFailed();
    }
    // Cache by the canonical bytes, so a re-encoded (but equal) base64 string still hits.
    const cacheKey = wrapped.toString('base64');
    const aad = this.#aad(binding);
    // A fresh key is evicted before use only under heavy LRU churn; a few rounds settle it.
    for (let round = 0; round < 3; round++) {
      const entry = this.#lookup(cacheKey) ?? (await this.#unwrap(cacheKey, wrapped, record.keyId));
      if (entry.destroyed || !this.#usable(entry)) continue;
      if (!this.#matches(entry, record)) throw decryptionFailed();
      entry.uses++;
      try {
        const decipher = createDecipheriv(ALGORITHM, entry.key, iv, { authTagLength: TAG_BYTES });
        decipher.setAAD(aad);
        decipher.setAuthTag(tag);
        return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
      } catch {
        throw decryptionFailed();
      }
    }
    throw new Error('EnvelopeCipher: data-key cache too small for the concurrent load');
  }

  /**
   * Moves a record's data key under `targetKeyId`'s current version (KMS ReEncrypt; the data
   * key never leaves KMS). The ciphertext, IV and tag stay as they are.
   */
  async rewrap(record: EnvelopeRecord, targetKeyId: string = this.keyId): Promise<EnvelopeRecord> {
    const next = await this.#keys.reWrap(decode(record.wrappedKey), this.#context, targetKeyId);
    return {
      ciphertext: record.ciphertext,
      iv: record.iv,
      tag: record.tag,
      wrappedKey: next.wrapped.toString('base64'),
      keyId: next.keyId,
      keyVersion: next.keyVersion,
    };
  }

  /** Zeroes and forgets every cached data key (tests, or before a container is frozen). */
  clear(): void {
    if (this.#active) destroy(this.#active);
    this.#active = undefined;
    for (const entry of this.#decryptCache.values()) destroy(entry);
    this.#decryptCache.clear();
  }

  #aad(binding: RecordBinding): Buffer {
    const { customerId, tokenId } = binding;
    if (typeof customerId !== 'string' || typeof tokenId !== 'string' || !customerId || !tokenId) {
      throw new TypeError('EnvelopeCipher needs a customerId and a tokenId');
    }
    // A JSON array: no separator that an id could contain and shift.
    return Buffer.from(JSON.stringify([AAD_SCHEME, this.purpose, customerId, tokenId]), 'utf8');
  }

  #now(): number {
    return (this.#clock ?? clock()).now().getTime();
  }

  #usable(entry: CachedKey): boolean {
    const age = this.#now() - entry.createdAt;
    // A clock that went backwards also retires the key: its age can no longer be trusted.
    return !entry.destroyed && entry.uses < this.#maxUses && age >= 0 && age < this.#maxAgeMs;
  }

  /** The record's key id and version must be those the key service authenticated. */
  #matches(entry: CachedKey, record: EnvelopeRecord): boolean {
    const idOk = entry.keyId === undefined || entry.keyId === record.keyId;
    const versionOk =
      entry.keyVersion === undefined ||
      record.keyVersion === entry.keyVersion ||
      record.keyVersion === entry.keyId;
    return idOk && versionOk;
  }

  async #generate(): Promise<void> {
    const dataKey = await this.#keys.generateDataKey(this.keyId, this.#context);
    const createdAt = this.#now();
    const wrapped = dataKey.wrapped.toString('base64');
    this.#active = {
      key: dataKey.plaintext,
      wrapped,
      keyId: dataKey.keyId,
      keyVersion: dataKey.keyVersion,
      uses: 0,
      createdAt,
      destroyed: false,
    };
    // Records written here can be read back without a Decrypt call. A copy: each cache zeroes its own.
    this.#remember(wrapped, {
      key: Buffer.from(dataKey.plaintext),
      keyId: dataKey.keyId,
      keyVersion: dataKey.keyVersion,
      uses: 0,
      createdAt,
      destroyed: false,
    });
  }

  #lookup(cacheKey: string): CachedKey | undefined {
    const entry = this.#decryptCache.get(cacheKey);
    if (!entry) return undefined;
    this.#decryptCache.delete(cacheKey);
    if (!this.#usable(entry)) {
      destroy(entry);
      return undefined;
    }
    this.#decryptCache.set(cacheKey, entry); // most recently used goes last
    return entry;
  }

  #remember(cacheKey: string, entry: CachedKey): void {
    const previous = this.#decryptCache.get(cacheKey);
    if (previous && previous !== entry) destroy(previous);
    this.#decryptCache.delete(cacheKey);
    this.#decryptCache.set(cacheKey, entry);
    for (const [oldest, old] of this.#decryptCache) {
      if (this.#decryptCache.size <= this.#maxCachedKeys) break;
      this.#decryptCache.delete(oldest);
      destroy(old);
    }
  }

  /** One Decrypt per wrapped key, however many callers ask for it at once. */
  #unwrap(cacheKey: string, wrapped: Buffer, keyId: string): Promise<CachedKey> {
    let pending = this.#unwrapping.get(cacheKey);
    if (!pending) {
      pending = this.#keys
        .unwrapDataKey(wrapped, this.#context, keyId)
        .then((unwrapped) => {
          const entry: CachedKey = {
            key: unwrapped.plaintext,
            keyId: unwrapped.keyId,
            keyVersion: unwrapped.keyVersion,
            uses: 0,
            createdAt: this.#now(),
            destroyed: false,
          };
          this.#remember(cacheKey, entry);
          return entry;
        })
        .finally(() => this.#unwrapping.delete(cacheKey));
      this.#unwrapping.set(cacheKey, pending);
    }
    return pending;
  }
}
