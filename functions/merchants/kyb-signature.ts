/**
 * KYB callback signatures: `Kyb-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(key, "<t>.<body>")>`,
 * the scheme Stripe and most providers use for webhooks. A callback is refused when unsigned, badly
 * signed, or signed more than 5 minutes from now (either way): a captured callback cannot be
 * replayed later, and ./kyb.ts refuses a second delivery of the same callback id within that window.
 * The key: the provider's webhook secret; for the sandbox, an HKDF key (purpose `kyb-callback`)
 * derived from the platform signing secret.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { derivedKey } from '../lib/derived-keys.ts';

export const KYB_SIGNATURE_TOLERANCE_SECONDS = 300;

const callbackKey = () => derivedKey('session-signing', 'kyb-callback');

const mac = (key: Uint8Array, t: number, body: string) =>
  createHmac('sha256', key).update(`${t}.${body}`, 'utf8').digest('hex');

/** The header value for `body` signed at `at`. */
export async function signKybCallback(body: string, at: Date): Promise<string> {
  const t = Math.floor(at.getTime() / 1000);
  return `t=${t},v1=${mac(await callbackKey(), t, body)}`;
}

/** True when `header` holds a valid v1 signature of `body`, made within the tolerance of `now`. */
export async function verifyKybSignature(
  body: string,
  header: string | undefined,
  now: Date,
): Promise<boolean> {
  if (!header || header.length > 512) return false;
  const parts = new Map<string, string[]>();
  for (const part of header.split(',')) {
    const [name, value] = part.trim().split('=', 2);
    if (name && value) parts.set(name, [...(parts.get(name) ?? []), value]);
  }
  const t = Number(parts.get('t')?.[0]);
  if (!Number.isSafeInteger(t)) return false;
  if (Math.abs(now.getTime() / 1000 - t) > KYB_SIGNATURE_TOLERANCE_SECONDS) return false;
  const expected = Buffer.from(mac(await callbackKey(), t, body), 'hex');
  return (parts.get('v1') ?? []).some((candidate) => {
    const given = Buffer.from(candidate, 'hex');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}
