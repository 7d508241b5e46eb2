import { config } from './config.ts';
import type { ResponseSealer } from './idempotency.ts';
import { keyService } from './key-service.ts';

/** Seals stored idempotent responses that carry a secret under the secrets key (KMS in AWS). */
export const keyServiceSealer: ResponseSealer = {
  seal: (plaintext, context) => keyService().encrypt(config().SECRETS_KEY_ID, plaintext, context),
  unseal: (sealed, context) => keyService().decrypt(sealed, context),
};
