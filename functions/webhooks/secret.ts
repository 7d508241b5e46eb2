import { randomBytes } from 'node:crypto';
import { config } from '../lib/config.ts';
import { keyService } from '../lib/key-service.ts';

/** `whsec_` + 32 bytes from the CSPRNG (256 bits), base64url. Shown to the merchant once. */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

/** The context binds a ciphertext to its merchant: one merchant's blob can't be replayed onto another. */
const contextFor = (merchantId: string) => ({ purpose: 'webhook-signing-secret', merchantId });

export async function encryptWebhookSecret(merchantId: string, secret: string): Promise<string> {
  const blob = await keyService().encrypt(
    config().SECRETS_KEY_ID,
    Buffer.from(secret, 'utf8'),
    contextFor(merchantId),
  );
  return blob.toString('base64');
}

/** Decrypted secrets by ciphertext, so steady delivery costs no KMS call per event. Bounded. */
const MAX_CACHED = 1000;
const cache = new Map<string, Promise<string>>();

export function decryptWebhookSecret(merchantId: string, ciphertext: string): Promise<string> {
  const key = `${merchantId}:${ciphertext}`;
  let value = cache.get(key);
  if (!value) {
    value = keyService()
      .decrypt(Buffer.from(ciphertext, 'base64'), contextFor(merchantId))
      .then((plaintext) => plaintext.toString('utf8'));
    value.catch(() => cache.delete(key));
    if (cache.size >= MAX_CACHED) {
      const oldest = cache.keys().next().value;
      if (oldest !== undefined) cache.delete(oldest);
    }
    cache.set(key, value);
  }
  return value;
}
