/**
 * The KeyService port: wraps and unwraps data keys under a named wrapping key, the way KMS does.
 * The vault (card envelopes) and 2FA (TOTP secrets) depend on this port only. Two adapters implement
 * it: `KmsKeyService` (`key-service-kms.ts`, AWS) and `LocalKeyService` (`key-service-local.ts`,
 * AES-256-GCM wrapping keys in `<dataDir>`). The port imports neither: `key-service.ts` chooses.
 */
import { ApiError } from './errors.ts';

/**
 * KMS encryption context: non-secret, authenticated (a wrong context fails to unwrap). It is
 * logged by CloudTrail, so it must never hold card data or other secrets.
 */
export type KeyContext = Readonly<Record<string, string>>;

export interface WrappedKey {
  /** Opaque; only the key service that produced it can open it. */
  wrapped: Buffer;
  /** The wrapping key (a KMS key ARN, or the local key name). */
  keyId: string;
  /** The wrapping key material's version (KMS `KeyMaterialId` when reported, else the key ARN). */
  keyVersion: string;
}

export interface DataKey extends WrappedKey {
  /** 32 random bytes (AES-256). The caller owns it: zero it (`fill(0)`) when done. */
  plaintext: Buffer;
}

/** An unwrapped key plus the wrapping key and version the key service authenticated it under. */
export interface UnwrappedKey {
  plaintext: Buffer;
  /** Undefined only when the service did not report it. */
  keyId: string | undefined;
  keyVersion: string | undefined;
}

export interface KeyService {
  generateDataKey(keyId: string, context: KeyContext): Promise<DataKey>;
  decryptDataKey(wrapped: Buffer, context: KeyContext): Promise<Buffer>;
  /**
   * Like `decryptDataKey`, but also reports which key and version opened it. With `expectedKeyId`
   * the service refuses a blob wrapped under any other key (KMS `Decrypt` with `KeyId`).
   */
  unwrapDataKey(wrapped: Buffer, context: KeyContext, expectedKeyId?: string): Promise<UnwrappedKey>;
  /** Moves a wrapped key under `targetKeyId`'s current version without exposing it to the caller. */
  reWrap(wrapped: Buffer, context: KeyContext, targetKeyId: string): Promise<WrappedKey>;
  /** Direct encryption of a small secret (at most 4 KiB, the KMS `Encrypt` limit). */
  encrypt(keyId: string, plaintext: Buffer, context: KeyContext): Promise<Buffer>;
  decrypt(blob: Buffer, context: KeyContext): Promise<Buffer>;
}

/** The KMS `Encrypt` plaintext limit, mirrored locally so local and AWS accept the same secrets. */
export const MAX_DIRECT_PLAINTEXT_BYTES = 4096;

/**
 * One error for every failure to open protected data (tampering, wrong context or customer,
 * wrong or disabled key, access denied). Deliberately without details: which check failed is
 * an oracle an attacker should not get. It is a server fault (500), never a 503 to retry.
 */
export function decryptionFailed(): ApiError {
  return new ApiError(500, 'api_error', 'decryption_failed', 'Stored data could not be decrypted.');
}

export function isDecryptionFailed(error: unknown): boolean {
  return error instanceof ApiError && error.code === 'decryption_failed';
}

/**
 * Order-independent encoding of a context, as KMS treats it (the same pairs in any order match).
 * JSON of sorted pairs, so no key or value can be forged by shifting a separator.
 */
export function canonicalContext(context: KeyContext): string {
  const pairs = Object.entries(context).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify(pairs);
}
