/**
 * Tessera webhook verifier for merchants. Self-contained (node:crypto only): copy this file into
 * your receiver, or import it from this repo.
 *
 *   const event = verifyWebhook(rawBody, req.headers['tessera-signature'], process.env.TESSERA_WEBHOOK_SECRET);
 *
 * Pass the RAW request body (the exact bytes received), not a re-serialized JSON object: any change,
 * even whitespace, breaks the signature. Then:
 *   - de-duplicate on `event.id` (delivery is at least once);
 *   - keep the highest `event.sequence` per `event.objectId` and ignore lower ones (retries can
 *     arrive after newer events; the sequence is the object's version, so it only goes up).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface TesseraEvent {
  id: string;
  object: 'event';
  type: string;
  created: string;
  objectId: string;
  sequence: number;
  data: Record<string, unknown>;
}

export class WebhookVerificationError extends Error {
  override name = 'WebhookVerificationError';
}

export interface VerifyOptions {
  /** Maximum age (and future skew) of the signed timestamp. Default 300 s. */
  toleranceSeconds?: number;
  /** The current time; default the system clock. */
  now?: Date;
}

/**
 * Verifies `Tessera-Signature: t=<unix>,v1=<hex>[,v1=<hex>…]` and returns the parsed event, or
 * throws WebhookVerificationError. `secret` may be several secrets while you roll to a new one.
 */
export function verifyWebhook(
  rawBody: string | Uint8Array,
  header: string | string[] | undefined | null,
  secret: string | readonly string[],
  { toleranceSeconds = 300, now = new Date() }: VerifyOptions = {},
): TesseraEvent {
  const value = Array.isArray(header) ? header.join(',') : header;
  if (!value) throw new WebhookVerificationError('missing Tessera-Signature header');

  let timestamp: number | undefined;
  const signatures: Buffer[] = [];
  for (const part of value.split(',')) {
    const [key, val = ''] = part.trim().split('=', 2) as [string, string?];
    if (key === 't') {
      if (timestamp !== undefined || !/^\d{1,12}$/.test(val)) {
        throw new WebhookVerificationError('malformed timestamp');
      }
      timestamp = Number(val);
    } else if (key === 'v1' && /^[0-9a-fA-F]{64}$/.test(val)) {
      signatures.push(Buffer.from(val, 'hex'));
    }
    // Other schemes are ignored on purpose, so a future v2 does not break this receiver.
  }
  if (timestamp === undefined || signatures.length === 0) {
    throw new WebhookVerificationError('malformed Tessera-Signature header');
  }
  const nowSeconds = Math.floor(now.getTime() / 1000);
  if (Math.abs(nowSeconds - timestamp) > toleranceSeconds) {
    throw new WebhookVerificationError('timestamp outside the tolerance (possible replay)');
  }

  const body = typeof rawBody === 'string' ? Buffer.from(rawBody, 'utf8') : rawBody;
  const secrets = typeof secret === 'string' ? [secret] : secret;
  const matched = secrets.some((s) => {
    const expected = createHmac('sha256', Buffer.from(s, 'utf8'))
      .update(`${timestamp}.`, 'utf8')
      .update(body)
      .digest();
    // Constant-time comparison; every candidate has the same 32-byte length as `expected`.
    return signatures.some((candidate) => timingSafeEqual(expected, candidate));
  });
  if (!matched) throw new WebhookVerificationError('no signature matches the payload');

  const event = JSON.parse(Buffer.from(body).toString('utf8')) as TesseraEvent;
  if (event?.object !== 'event' || typeof event.id !== 'string') {
    throw new WebhookVerificationError('the payload is not a Tessera event');
  }
  return event;
}
