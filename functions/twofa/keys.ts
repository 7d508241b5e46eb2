/** The 2FA secrets: the step-up token key and the pepper under which codes are hashed. */
import { derivedKey } from '../lib/derived-keys.ts';
import { getSecret } from '../lib/secrets.ts';

/** The step-up token key, derived from the session signing secret (never usable as a session key). */
export function stepUpTokenKey(): Promise<Uint8Array> {
  return derivedKey('session-signing', 'step-up-token');
}

/** The pepper under which one-time and recovery codes are hashed (functions/twofa/codes.ts). */
export function codePepper(): Promise<Buffer> {
  return getSecret('otp-pepper');
}
