import { randomBytes } from 'node:crypto';

/**
 * An Idempotency-Key for a form that moves money, rendered into the form so that a double submit is
 * a replay. Letters only: a run of 13+ digits could pass the card-number detector and be refused.
 */
export const newIdempotencyKey = () =>
  `page_${Array.from(randomBytes(20), (byte) => String.fromCharCode(97 + (byte % 26))).join('')}`;
