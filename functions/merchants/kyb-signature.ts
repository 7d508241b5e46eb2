/**
 * KYB callback signatures: `Kyb-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(key, "<t>.<body>")>`,
 * the one scheme of lib/signature.ts (Stripe's). A callback is refused when unsigned, badly signed,
 * or signed more than 5 minutes from now (either way): a captured callback cannot be replayed later,
 * and ./kyb.ts refuses a second delivery of the same callback id within that window.
 * The key: the provider's webhook secret; for the sandbox, an HKDF key (purpose `kyb-callback`)
 * derived from the platform signing secret, as hex.
 */
import { derivedKey } from '../lib/derived-keys.ts';
import { signatureHeader } from '../lib/signature.ts';

export const KYB_SIGNATURE_TOLERANCE_SECONDS = 300;

/** The callback secret the provider signs with (hex). */
export async function kybCallbackSecret(): Promise<string> {
  return Buffer.from(await derivedKey('session-signing', 'kyb-callback')).toString('hex');
}

/** The header value for `body` signed at `at`. */
export async function signKybCallback(body: string, at: Date): Promise<string> {
  return signatureHeader(body, [await kybCallbackSecret()], Math.floor(at.getTime() / 1000));
}
