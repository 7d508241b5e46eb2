/**
 * KeyService on AWS KMS: GenerateDataKey (AES_256), Decrypt, ReEncrypt, Encrypt, with the
 * encryption context passed through as KMS EncryptionContext.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { KMSClient } from '@aws-sdk/client-kms';
import { config } from './config.ts';
import { serviceUnavailable } from './errors.ts';
import {
  type DataKey,
  decryptionFailed,
  type KeyContext,
  type KeyService,
  MAX_DIRECT_PLAINTEXT_BYTES,
  type UnwrappedKey,
  type WrappedKey,
} from './key-service-port.ts';

type KmsModule = typeof import('./aws-sdk/kms.ts');

let kmsModule: Promise<KmsModule> | undefined;
let sharedClient: KMSClient | undefined;

/**
 * The KMS SDK is loaded on first use, not at init: many functions bundle this adapter for an
 * occasional seal or unseal, and evaluating the client at import cost every cold start ~5 ms.
 */
function kms(): Promise<KmsModule> {
  kmsModule ??= import('./aws-sdk/kms.ts');
  return kmsModule;
}

/**
 * The container's one KMS client, created on first use (so tests can mock or reconfigure first).
 * SDK retries are off: `KmsKeyService` retries itself, so attempts are counted once and the last
 * failure can be mapped to a 503. The timeouts keep a stalled connection from eating the Lambda.
 */
export async function kmsClient(): Promise<KMSClient> {
  const { KMSClient } = await kms();
  sharedClient ??= new KMSClient({
    region: config().AWS_REGION,
    maxAttempts: 1,
    requestHandler: { connectionTimeout: 1_000, requestTimeout: 3_000, throwOnRequestTimeout: true },
  });
  return sharedClient;
}

export interface KmsKeyServiceOptions {
  client?: KMSClient;
  /** Total attempts per call, first one included (default 3). */
  maxAttempts?: number;
  /** Full-jitter exponential backoff: random(0, min(maxDelayMs, baseDelayMs * 2^retry)). */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Injected so tests need not wait. */
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

// Throttling and KMS-side faults: worth another try, and a 503 when they persist.
const RETRYABLE_NAMES = new Set([
  'ThrottlingException',
  'TooManyRequestsException',
  'KMSInternalException',
  'DependencyTimeoutException',
  'KeyUnavailableException',
  'InternalFailure',
  'ServiceUnavailable',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
]);
const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
]);
const RETRYABLE_STATUS = new Set([429, 500, 502, 503, 504]);

interface ErrorShape {
  name?: unknown;
  code?: unknown;
  $metadata?: { httpStatusCode?: unknown };
  $retryable?: unknown;
}

export function isRetryableKmsError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as ErrorShape;
  return (
    (typeof e.name === 'string' && RETRYABLE_NAMES.has(e.name)) ||
    (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) ||
    (typeof e.$metadata?.httpStatusCode === 'number' && RETRYABLE_STATUS.has(e.$metadata.httpStatusCode)) ||
    (typeof e.$retryable === 'object' && e.$retryable !== null)
  );
}

/** KMS returns a Uint8Array; view it as a Buffer without a copy so zeroing reaches the original. */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

type Operation = 'wrap' | 'unwrap';

export class KmsKeyService implements KeyService {
  readonly #client: KMSClient | undefined;
  readonly #maxAttempts: number;
  readonly #baseDelayMs: number;
  readonly #maxDelayMs: number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #random: () => number;

  constructor(options: KmsKeyServiceOptions = {}) {
    this.#client = options.client;
    this.#maxAttempts = Math.max(1, Math.floor(options.maxAttempts ?? 3));
    this.#baseDelayMs = options.baseDelayMs ?? 50;
    this.#maxDelayMs = options.maxDelayMs ?? 1_000;
    this.#sleep = options.sleep ?? ((ms) => delay(ms));
    this.#random = options.random ?? Math.random;
  }

  async generateDataKey(keyId: string, context: KeyContext): Promise<DataKey> {
    const out = await this.#call('wrap', (client, { GenerateDataKeyCommand }) =>
      client.send(
        new GenerateDataKeyCommand({ KeyId: keyId, KeySpec: 'AES_256', EncryptionContext: { ...context } }),
      ),
    );
    if (out.Plaintext?.byteLength !== 32 || !out.CiphertextBlob || !out.KeyId) {
      out.Plaintext?.fill(0);
      throw new Error('KMS GenerateDataKey returned an incomplete response');
    }
    return {
      plaintext: asBuffer(out.Plaintext),
      wrapped: Buffer.from(out.CiphertextBlob),
      keyId: out.KeyId,
      keyVersion: out.KeyMaterialId ?? out.KeyId,
    };
  }

  async decryptDataKey(wrapped: Buffer, context: KeyContext): Promise<Buffer> {
    return (await this.unwrapDataKey(wrapped, context)).plaintext;
  }

  async unwrapDataKey(wrapped: Buffer, context: KeyContext, expectedKeyId?: string): Promise<UnwrappedKey> {
    const out = await this.#call('unwrap', (client, { DecryptCommand }) =>
      client.send(
        new DecryptCommand({
          CiphertextBlob: wrapped,
          EncryptionContext: { ...context },
          ...(expectedKeyId === undefined ? {} : { KeyId: expectedKeyId }),
        }),
      ),
    );
    if (!out.Plaintext) throw decryptionFailed();
    return {
      plaintext: asBuffer(out.Plaintext),
      keyId: out.KeyId,
      keyVersion: out.KeyMaterialId ?? out.KeyId,
    };
  }

  async reWrap(wrapped: Buffer, context: KeyContext, targetKeyId: string): Promise<WrappedKey> {
    const out = await this.#call('unwrap', (client, { ReEncryptCommand }) =>
      client.send(
        new ReEncryptCommand({
          CiphertextBlob: wrapped,
          SourceEncryptionContext: { ...context },
          DestinationKeyId: targetKeyId,
          DestinationEncryptionContext: { ...context },
        }),
      ),
    );
    if (!out.CiphertextBlob || !out.KeyId) throw new Error('KMS ReEncrypt returned an incomplete response');
    return {
      wrapped: Buffer.from(out.CiphertextBlob),
      keyId: out.KeyId,
      keyVersion: out.DestinationKeyMaterialId ?? out.KeyId,
    };
  }

  async encrypt(keyId: string, plaintext: Buffer, context: KeyContext): Promise<Buffer> {
    if (plaintext.byteLength > MAX_DIRECT_PLAINTEXT_BYTES) {
      throw new RangeError(`KeyService.encrypt takes at most ${MAX_DIRECT_PLAINTEXT_BYTES} bytes`);
    }
    const out = await this.#call('wrap', (client, { EncryptCommand }) =>
      client.send(
        new EncryptCommand({ KeyId: keyId, Plaintext: plaintext, EncryptionContext: { ...context } }),
      ),
    );
    if (!out.CiphertextBlob) throw new Error('KMS Encrypt returned an incomplete response');
    return Buffer.from(out.CiphertextBlob);
  }

  async decrypt(blob: Buffer, context: KeyContext): Promise<Buffer> {
    return this.decryptDataKey(blob, context);
  }

  /**
   * Retries throttling and KMS faults with bounded backoff, then answers 503. Any other failure
   * of an unwrap (AccessDenied, InvalidCiphertext, IncorrectKey, disabled key…) is a decryption
   * failure, never a 503: retrying would not help. Other wrap failures (a missing or disabled
   * key, no permission) are configuration faults and propagate as they are.
   */
  async #call<T>(operation: Operation, send: (client: KMSClient, sdk: KmsModule) => Promise<T>): Promise<T> {
    const sdk = await kms();
    const client = this.#client ?? (await kmsClient());
    for (let attempt = 1; ; attempt++) {
      try {
        return await send(client, sdk);
      } catch (error) {
        if (!isRetryableKmsError(error)) {
          if (operation === 'unwrap') throw decryptionFailed();
          throw error;
        }
        if (attempt >= this.#maxAttempts) throw serviceUnavailable(undefined, error);
        const cap = Math.min(this.#maxDelayMs, this.#baseDelayMs * 2 ** (attempt - 1));
        await this.#sleep(Math.floor(this.#random() * cap));
      }
    }
  }
}
