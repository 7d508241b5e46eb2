/**
 * Keys derived from the two 2FA secrets, one per purpose (HKDF-SHA-256), so a session token can
 * never pass as a step-up token and an identifier hash can never collide with a code hash.
 */
import { createHmac, hkdfSync } from 'node:crypto';
import { getSecret } from '../lib/secrets.ts';

type Purpose = 'session-token' | 'step-up-token' | 'identifier';

// Keyed by the secret buffer, so a rotated (re-fetched) secret derives fresh keys.
const derived = new WeakMap<Buffer, Map<Purpose, Uint8Array>>();

function derive(secret: Buffer, purpose: Purpose): Uint8Array {
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

export async function sessionTokenKey(): Promise<Uint8Array> {
  return derive(await getSecret('session-signing'), 'session-token');
}

export async function stepUpTokenKey(): Promise<Uint8Array> {
  return derive(await getSecret('session-signing'), 'step-up-token');
}

/** The pepper under which one-time and recovery codes are hashed (functions/twofa/codes.ts). */
export function codePepper(): Promise<Buffer> {
  return getSecret('otp-pepper');
}

/**
 * A keyed hash of an identifier (email, IP, device, phone) for counters and device records, so
 * the table holds no IP addresses or phone numbers in clear and the keys can't be enumerated.
 */
export async function identifierHash(
  kind: 'email' | 'ip' | 'device' | 'phone',
  value: string,
): Promise<string> {
  const key = derive(await getSecret('otp-pepper'), 'identifier');
  return createHmac('sha256', key)
    .update(`${kind.length}:${kind}|${value}`, 'utf8')
    .digest('base64url')
    .slice(0, 32);
}
