/**
 * Keys derived from the named secrets, one per purpose (HKDF-SHA-256, RFC 5869), so a session
 * token can never pass as a step-up token and an identifier hash can never collide with a code hash.
 */
import { createHmac, hkdfSync } from 'node:crypto';
import { getSecret, type SecretName } from './secrets.ts';

export type KeyPurpose = 'session-token' | 'step-up-token' | 'identifier' | 'identity-callback';

// Keyed by the secret buffer, so a rotated (re-fetched) secret derives fresh keys.
const derived = new WeakMap<Buffer, Map<KeyPurpose, Uint8Array>>();

/** The 32-byte key for `purpose` under the secret `name` (info `tessera/<purpose>/v1`). */
export async function derivedKey(name: SecretName, purpose: KeyPurpose): Promise<Uint8Array> {
  const secret = await getSecret(name);
  let byPurpose = derived.get(secret);
  if (!byPurpose) {
    byPurpose = new Map();
    derived.set(secret, byPurpose);
  }
  let key = byPurpose.get(purpose);
  if (!key) {
    key = new Uint8Array(hkdfSync('sha256', secret, new Uint8Array(0), `tessera/${purpose}/v1`, 32));
    byPurpose.set(purpose, key);
  }
  return key;
}

/**
 * A keyed hash of an identifier (email, IP, device, phone, identity document number) for counters and device records, so
 * the table holds no IP addresses or phone numbers in clear and the keys can't be enumerated.
 * 32 base64url characters (192 bits) of HMAC-SHA-256 under the `otp-pepper` identifier key.
 */
export async function identifierHash(
  kind: 'email' | 'ip' | 'device' | 'phone' | 'document',
  value: string,
): Promise<string> {
  const key = await derivedKey('otp-pepper', 'identifier');
  return createHmac('sha256', key)
    .update(`${kind.length}:${kind}|${value}`, 'utf8')
    .digest('base64url')
    .slice(0, 32);
}
