/**
 * The secret that signs identity-provider callbacks. In production it is the provider's webhook
 * secret; the sandbox provider and the callback check share one derived from the `otp-pepper`
 * secret (HKDF purpose `identity-callback`), so nothing else can sign a decision.
 */
import { derivedKey } from '../lib/derived-keys.ts';

export async function identityCallbackSecret(): Promise<string> {
  return Buffer.from(await derivedKey('otp-pepper', 'identity-callback')).toString('hex');
}
