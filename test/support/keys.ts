import { randomBytes } from 'node:crypto';

/**
 * A random Idempotency-Key. Letters only in the random part: a short hex key is all digits now and
 * then, and 13+ Luhn-valid digits are refused as a card number (400 pan_not_allowed), a rare flake
 * (the risk bench hit it about one run in two with 18-hex-digit keys). No vitest import: the bench
 * uses it too.
 */
export const idempotencyKey = (prefix = 'idem'): string =>
  `${prefix}_${Array.from(randomBytes(16), (byte) => String.fromCharCode(97 + (byte % 26))).join('')}`;
