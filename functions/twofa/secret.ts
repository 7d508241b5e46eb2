/** The TOTP secret at rest: sealed by the key service under the 2FA key, bound to its customer. */
import { config } from '../lib/config.ts';
import { keyService } from '../lib/key-service.ts';
import type { TwoFactorRecord } from './store.ts';

const TOTP_CONTEXT = (customerId: string) => ({ purpose: 'totp', customerId });

/** Encrypts a base32 secret: base64 ciphertext and the key id it was sealed under. */
export async function sealSecret(
  customerId: string,
  secret: string,
): Promise<{ sealed: string; keyId: string }> {
  const keyId = config().SECRETS_KEY_ID;
  const sealed = await keyService().encrypt(keyId, Buffer.from(secret, 'utf8'), TOTP_CONTEXT(customerId));
  return { sealed: sealed.toString('base64'), keyId };
}

/** The factor's base32 secret in clear (the decrypted buffer is wiped). */
export async function openSecret(factor: TwoFactorRecord): Promise<string> {
  const plaintext = await keyService().decrypt(
    Buffer.from(factor.secret, 'base64'),
    TOTP_CONTEXT(factor.customerId),
  );
  const secret = plaintext.toString('utf8');
  plaintext.fill(0);
  return secret;
}
