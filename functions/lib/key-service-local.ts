/**
 * KeyService for the local runtime: AES-256-GCM wrapping keys kept in `<dataDir>/local-kms.json`
 * (mode 0600, created on first use). Like KMS, a key has versions: `rotate()` adds one that wraps
 * from then on, and blobs wrapped under older versions stay readable. The context is bound as
 * AAD, so a wrong context fails exactly as it does with KMS.
 *
 * Blob layout: "TLK1" | u16 keyId length | keyId (utf8) | u32 version | iv (12) | tag (16) | ciphertext.
 * The header is part of the AAD, so the key id and version cannot be swapped.
 */
import { createCipheriv, createDecipheriv, randomBytes, randomUUID } from 'node:crypto';
import { chmod, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { type Clock, clock } from './clock.ts';
import {
  canonicalContext,
  type DataKey,
  decryptionFailed,
  type KeyContext,
  type KeyService,
  MAX_DIRECT_PLAINTEXT_BYTES,
  type UnwrappedKey,
  type WrappedKey,
} from './key-service-port.ts';

export const LOCAL_KMS_FILE = 'local-kms.json';
const FORMAT = 'tessera-local-kms/1';
const MAGIC = Buffer.from('TLK1', 'ascii');
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;

interface KeyVersionEntry {
  material: string;
  createdAt: string;
}
interface KeyEntry {
  current: number;
  versions: Record<string, KeyVersionEntry>;
}
interface KeyFile {
  format: typeof FORMAT;
  keys: Record<string, KeyEntry>;
}

export interface LocalKeyServiceOptions {
  dataDir: string;
  clock?: Clock;
}

const versionLabel = (n: number) => `v${n}`;

function isKeyFile(value: unknown): value is KeyFile {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { format?: unknown }).format === FORMAT &&
    typeof (value as { keys?: unknown }).keys === 'object'
  );
}

function header(keyId: string, version: number): Buffer {
  const id = Buffer.from(keyId, 'utf8');
  if (id.byteLength === 0 || id.byteLength > 0xffff) throw new RangeError('Invalid local key id');
  const out = Buffer.alloc(MAGIC.byteLength + 2 + id.byteLength + 4);
  MAGIC.copy(out, 0);
  out.writeUInt16BE(id.byteLength, MAGIC.byteLength);
  id.copy(out, MAGIC.byteLength + 2);
  out.writeUInt32BE(version, MAGIC.byteLength + 2 + id.byteLength);
  return out;
}

interface ParsedBlob {
  header: Buffer;
  keyId: string;
  version: number;
  iv: Buffer;
  tag: Buffer;
  ciphertext: Buffer;
}

function parseBlob(blob: Buffer): ParsedBlob {
  const minimum = MAGIC.byteLength + 2 + 1 + 4 + IV_BYTES + TAG_BYTES;
  if (blob.byteLength < minimum || !blob.subarray(0, MAGIC.byteLength).equals(MAGIC))
    throw decryptionFailed();
  const idLength = blob.readUInt16BE(MAGIC.byteLength);
  const idEnd = MAGIC.byteLength + 2 + idLength;
  const headerEnd = idEnd + 4;
  if (idLength === 0 || blob.byteLength < headerEnd + IV_BYTES + TAG_BYTES) throw decryptionFailed();
  return {
    header: blob.subarray(0, headerEnd),
    keyId: blob.subarray(MAGIC.byteLength + 2, idEnd).toString('utf8'),
    version: blob.readUInt32BE(idEnd),
    iv: blob.subarray(headerEnd, headerEnd + IV_BYTES),
    tag: blob.subarray(headerEnd + IV_BYTES, headerEnd + IV_BYTES + TAG_BYTES),
    ciphertext: blob.subarray(headerEnd + IV_BYTES + TAG_BYTES),
  };
}

function aad(blobHeader: Buffer, context: KeyContext): Buffer {
  return Buffer.concat([blobHeader, Buffer.from(canonicalContext(context), 'utf8')]);
}

const LOCK_POLL_MS = 20;
const LOCK_POLLS = 150;

/**
 * An exclusive-create lock file. A holder that died leaves it behind, so after ~3 s of waiting it
 * is taken over (counted in polls, not read from a clock: the clock may be a fixed test clock).
 */
async function acquireLock(lock: string): Promise<void> {
  for (let poll = 0; ; poll++) {
    try {
      await writeFile(lock, String(process.pid), { flag: 'wx', mode: 0o600 });
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (poll >= LOCK_POLLS) {
        await rm(lock, { force: true });
        poll = 0;
        continue;
      }
      await delay(LOCK_POLL_MS);
    }
  }
}

export class LocalKeyService implements KeyService {
  readonly path: string;
  readonly #dataDir: string;
  readonly #clock: Clock | undefined;
  #state: KeyFile | undefined;
  // Serializes loads and writes inside this process; writes are atomic renames across processes.
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: LocalKeyServiceOptions) {
    this.#dataDir = options.dataDir;
    this.path = join(options.dataDir, LOCAL_KMS_FILE);
    this.#clock = options.clock;
  }

  async generateDataKey(keyId: string, context: KeyContext): Promise<DataKey> {
    const plaintext = randomBytes(KEY_BYTES);
    const { wrapped, keyVersion } = await this.#wrap(keyId, plaintext, context);
    return { plaintext, wrapped, keyId, keyVersion };
  }

  async decryptDataKey(wrapped: Buffer, context: KeyContext): Promise<Buffer> {
    return (await this.unwrapDataKey(wrapped, context)).plaintext;
  }

  async unwrapDataKey(wrapped: Buffer, context: KeyContext, expectedKeyId?: string): Promise<UnwrappedKey> {
    const blob = parseBlob(wrapped);
    if (expectedKeyId !== undefined && blob.keyId !== expectedKeyId) throw decryptionFailed();
    let material = await this.#material(blob.keyId, blob.version, false);
    // Another process may have rotated since we loaded the file.
    material ??= await this.#material(blob.keyId, blob.version, true);
    if (!material) throw decryptionFailed();
    try {
      const decipher = createDecipheriv('aes-256-gcm', material, blob.iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(aad(blob.header, context));
      decipher.setAuthTag(blob.tag);
      const plaintext = Buffer.concat([decipher.update(blob.ciphertext), decipher.final()]);
      return { plaintext, keyId: blob.keyId, keyVersion: versionLabel(blob.version) };
    } catch {
      throw decryptionFailed();
    } finally {
      material.fill(0);
    }
  }

  async reWrap(wrapped: Buffer, context: KeyContext, targetKeyId: string): Promise<WrappedKey> {
    const { plaintext } = await this.unwrapDataKey(wrapped, context);
    try {
      const next = await this.#wrap(targetKeyId, plaintext, context);
      return { wrapped: next.wrapped, keyId: targetKeyId, keyVersion: next.keyVersion };
    } finally {
      plaintext.fill(0);
    }
  }

  async encrypt(keyId: string, plaintext: Buffer, context: KeyContext): Promise<Buffer> {
    if (plaintext.byteLength > MAX_DIRECT_PLAINTEXT_BYTES) {
      throw new RangeError(`KeyService.encrypt takes at most ${MAX_DIRECT_PLAINTEXT_BYTES} bytes`);
    }
    return (await this.#wrap(keyId, plaintext, context)).wrapped;
  }

  async decrypt(blob: Buffer, context: KeyContext): Promise<Buffer> {
    return this.decryptDataKey(blob, context);
  }

  /** Adds a version to `keyId` (or to every key) that wraps from now on. Old versions stay. */
  async rotate(keyId?: string): Promise<void> {
    await this.#mutate((file) => {
      const ids = keyId === undefined ? Object.keys(file.keys) : [keyId];
      for (const id of ids) {
        const entry = file.keys[id];
        if (!entry) {
          file.keys[id] = this.#newEntry();
          continue;
        }
        const next = Math.max(0, ...Object.keys(entry.versions).map(Number)) + 1;
        entry.versions[String(next)] = this.#newVersion();
        entry.current = next;
      }
    });
  }

  /** The version `keyId` wraps with now (creating the key if needed), e.g. `v2`. */
  async currentVersion(keyId: string): Promise<string> {
    return versionLabel((await this.#currentKey(keyId)).version);
  }

  async #wrap(
    keyId: string,
    plaintext: Buffer,
    context: KeyContext,
  ): Promise<{ wrapped: Buffer; keyVersion: string }> {
    const { version, material } = await this.#currentKey(keyId);
    try {
      const head = header(keyId, version);
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', material, iv, { authTagLength: TAG_BYTES });
      cipher.setAAD(aad(head, context));
      const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
      return {
        wrapped: Buffer.concat([head, iv, cipher.getAuthTag(), ciphertext]),
        keyVersion: versionLabel(version),
      };
    } finally {
      material.fill(0);
    }
  }

  /** The current version and a fresh copy of its material (the caller zeroes it). */
  async #currentKey(keyId: string): Promise<{ version: number; material: Buffer }> {
    let file = await this.#load(false);
    if (!file.keys[keyId]) {
      file = await this.#mutate((draft) => {
        draft.keys[keyId] ??= this.#newEntry();
      });
    }
    const entry = file.keys[keyId];
    const material = entry?.versions[String(entry.current)]?.material;
    if (!entry || !material) throw new Error(`Local key file ${this.path} is missing the current version`);
    return { version: entry.current, material: Buffer.from(material, 'base64') };
  }

  async #material(keyId: string, version: number, reload: boolean): Promise<Buffer | undefined> {
    const file = await this.#load(reload);
    const material = file.keys[keyId]?.versions[String(version)]?.material;
    return material === undefined ? undefined : Buffer.from(material, 'base64');
  }

  #newVersion(): KeyVersionEntry {
    return {
      material: randomBytes(KEY_BYTES).toString('base64'),
      createdAt: (this.#clock ?? clock()).now().toISOString(),
    };
  }

  #newEntry(): KeyEntry {
    return { current: 1, versions: { '1': this.#newVersion() } };
  }

  #serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(task, task);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  #load(reload: boolean): Promise<KeyFile> {
    if (this.#state && !reload) return Promise.resolve(this.#state);
    return this.#serial(() => this.#read());
  }

  /**
   * Re-reads the file, applies the change and writes it back, under a lock file: two processes
   * adding a key at once must not drop each other's key (what it wrapped would be lost).
   */
  #mutate(change: (file: KeyFile) => void): Promise<KeyFile> {
    return this.#serial(async () => {
      await mkdir(this.#dataDir, { recursive: true, mode: 0o700 });
      const lock = `${this.path}.lock`;
      await acquireLock(lock);
      try {
        const file = await this.#read();
        change(file);
        await this.#write(file);
        this.#state = file;
        return file;
      } finally {
        await rm(lock, { force: true });
      }
    });
  }

  async #read(): Promise<KeyFile> {
    await mkdir(this.#dataDir, { recursive: true, mode: 0o700 });
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      const fresh: KeyFile = { format: FORMAT, keys: {} };
      try {
        // `wx`: when two processes start at once, one creates and the other reads its file.
        await writeFile(this.path, JSON.stringify(fresh, null, 2), { mode: 0o600, flag: 'wx' });
        this.#state = fresh;
        return fresh;
      } catch (createError) {
        if ((createError as NodeJS.ErrnoException).code !== 'EEXIST') throw createError;
        text = await readFile(this.path, 'utf8');
      }
    }
    // Key material must not be readable by other users, whoever created the file.
    if (((await stat(this.path)).mode & 0o077) !== 0) await chmod(this.path, 0o600);
    const parsed: unknown = JSON.parse(text);
    if (!isKeyFile(parsed)) throw new Error(`${this.path} is not a Tessera local key file`);
    this.#state = parsed;
    return parsed;
  }

  async #write(file: KeyFile): Promise<void> {
    const temporary = `${this.path}.${process.pid}.${randomUUID()}.tmp`;
    await writeFile(temporary, JSON.stringify(file, null, 2), { mode: 0o600, flag: 'wx' });
    await rename(temporary, this.path);
  }
}
