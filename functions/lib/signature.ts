import { createHmac, timingSafeEqual } from 'node:crypto';
import type { z } from 'zod';
import { badRequest } from './errors.ts';

/**
 * The one signature scheme of every signed payload Tessera sends or receives (Stripe's, renamed):
 * the webhooks it sends, and the identity and KYB providers' decision callbacks it receives.
 *
 *   Tessera-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>[,v1=…]
 *
 * The HMAC key is the whole secret string (`whsec_…`) as UTF-8. During a secret rotation the
 * header carries one `v1` per valid secret, so a receiver holding either one verifies. Unknown
 * schemes (a future `v2`) are ignored, so a receiver never breaks when one is added.
 *
 * Pure: no clock, no I/O. The caller passes `nowSeconds`.
 */
export const SIGNATURE_HEADER = 'Tessera-Signature';
export const EVENT_ID_HEADER = 'Tessera-Event-Id';
export const DEFAULT_TOLERANCE_SECONDS = 300;

export type WebhookSignatureErrorCode =
  | 'header_missing'
  | 'header_malformed'
  | 'timestamp_out_of_tolerance'
  | 'signature_mismatch';

export class WebhookSignatureError extends Error {
  readonly code: WebhookSignatureErrorCode;
  constructor(code: WebhookSignatureErrorCode, message: string) {
    super(message);
    this.name = 'WebhookSignatureError';
    this.code = code;
  }
}

type Body = string | Uint8Array;

export function computeSignature(secret: string, timestamp: number, body: Body): string {
  const hmac = createHmac('sha256', Buffer.from(secret, 'utf8'));
  hmac.update(`${timestamp}.`, 'utf8');
  hmac.update(typeof body === 'string' ? Buffer.from(body, 'utf8') : body);
  return hmac.digest('hex');
}

/** One `v1` per secret, in the order given (the current secret first). */
export function signatureHeader(body: Body, secrets: readonly string[], timestamp: number): string {
  if (secrets.length === 0) throw new Error('at least one signing secret is required');
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) throw new Error('timestamp must be unix seconds');
  return [`t=${timestamp}`, ...secrets.map((s) => `v1=${computeSignature(s, timestamp, body)}`)].join(',');
}

export function parseSignatureHeader(header: string | undefined | null): {
  timestamp: number;
  signatures: string[];
} {
  if (header === undefined || header === null || header.trim() === '') {
    throw new WebhookSignatureError('header_missing', `The ${SIGNATURE_HEADER} header is missing.`);
  }
  let timestamp: number | undefined;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't') {
      // Two timestamps would let an attacker pick the one that suits them.
      if (timestamp !== undefined || !/^\d{1,12}$/.test(value)) {
        throw new WebhookSignatureError('header_malformed', 'The signature timestamp is malformed.');
      }
      timestamp = Number(value);
    } else if (key === 'v1' && /^[0-9a-f]{64}$/i.test(value)) {
      signatures.push(value.toLowerCase());
    }
  }
  if (timestamp === undefined) {
    throw new WebhookSignatureError('header_malformed', 'The signature header has no timestamp.');
  }
  if (signatures.length === 0) {
    throw new WebhookSignatureError('header_malformed', 'The signature header has no v1 signature.');
  }
  return { timestamp, signatures };
}

/**
 * Verifies the header against the raw body (the exact bytes received, before any JSON parsing)
 * and any of `secrets`. Throws WebhookSignatureError; returns the signed timestamp.
 */
export function verifySignature(
  body: Body,
  header: string | undefined | null,
  secrets: string | readonly string[],
  options: { nowSeconds: number; toleranceSeconds?: number },
): { timestamp: number } {
  const { timestamp, signatures } = parseSignatureHeader(header);
  const tolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  // Both directions: an old timestamp is a replay; one far in the future is a forged or skewed clock.
  if (Math.abs(options.nowSeconds - timestamp) > tolerance) {
    throw new WebhookSignatureError(
      'timestamp_out_of_tolerance',
      `The signature timestamp is more than ${tolerance} seconds from now.`,
    );
  }
  const candidates = typeof secrets === 'string' ? [secrets] : secrets;
  for (const secret of candidates) {
    const expected = Buffer.from(computeSignature(secret, timestamp, body), 'hex');
    for (const signature of signatures) {
      // Constant-time: the header's hex has already been checked to be 32 bytes, like `expected`.
      if (timingSafeEqual(expected, Buffer.from(signature, 'hex'))) return { timestamp };
    }
  }
  throw new WebhookSignatureError('signature_mismatch', 'No signature matches the payload.');
}

/**
 * A provider's signed callback (identity and KYB decisions): `header` verified over the raw body,
 * before any of it is parsed, with any of `secrets`, signed within `toleranceSeconds` of `now`
 * either way. One answer for every way it fails, so a prober learns nothing from the difference.
 * Errors: 400 `callback_signature_invalid` (unsigned, malformed, forged or stale), the answer
 * Stripe's webhook guide gives a payload that fails verification.
 */
export function verifyCallback(
  body: Body,
  header: string | undefined,
  secrets: string | readonly string[],
  now: Date,
  toleranceSeconds = DEFAULT_TOLERANCE_SECONDS,
): void {
  try {
    verifySignature(body, header, secrets, {
      nowSeconds: Math.floor(now.getTime() / 1000),
      toleranceSeconds,
    });
  } catch (error) {
    if (!(error instanceof WebhookSignatureError)) throw error;
    throw badRequest('callback_signature_invalid', `The callback signature is not valid (${error.code}).`);
  }
}

/**
 * The body of a provider's signed callback: the signature checked first (see `verifyCallback`),
 * then the JSON, then `schema`. Errors: 400 `callback_signature_invalid`, 400 `invalid_json`,
 * 400 `parameter_invalid` (not a callback of this provider; the message names no field value).
 */
export function readSignedCallback<S extends z.ZodType>(
  schema: S,
  rawBody: string,
  header: string | undefined,
  secrets: string | readonly string[],
  now: Date,
  toleranceSeconds = DEFAULT_TOLERANCE_SECONDS,
): z.output<S> {
  verifyCallback(rawBody, header, secrets, now, toleranceSeconds);
  let json: unknown;
  try {
    json = JSON.parse(rawBody);
  } catch {
    throw badRequest('invalid_json', 'The callback body is not valid JSON.');
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw badRequest('parameter_invalid', 'The body is not a callback of this provider.');
  return parsed.data;
}
