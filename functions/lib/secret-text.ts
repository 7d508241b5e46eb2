/**
 * Masking of secrets a person types into free text that Tessera must keep (support messages), where
 * refusing the text (`panFree`, 400 `pan_not_allowed`) would be wrong: the shopper asking for help
 * must be answered, and the secret must still reach no table, log, notification or operator screen.
 * Masked before the text is stored, sent or logged (the request schema does it: `maskedText()` in
 * ./schema.ts).
 *
 * What is masked:
 * - a card number, by THE detector (./pan.ts: a Luhn-valid run of 13–19 digits, separators allowed),
 *   keeping the last four digits ("•••• 4242"), as PCI DSS v4.0 req. 3.4.1 allows;
 * - a one-time code: a run of 6 to 8 digits that no other digit adjoins, written whole ("084512") or
 *   in two equal halves split by one space or dash ("084 512", "0845-1200"), as authenticator apps
 *   and SMS show them (TOTP, RFC 6238, is 6–8 digits). It becomes "••••••". Digits of any script
 *   count (`\p{Nd}`). A date ("2026-11-30"), a phone number ("555-0123") or a money amount ("1,250.00")
 *   does not match; an 6–8 digit order number written whole does (a false positive we accept: the
 *   operator asks for it again in another form).
 */
import { maskPans } from './pan.ts';

const ONE_TIME_CODE = /(?<!\p{Nd})(?:\p{Nd}{6,8}|\p{Nd}{3}[ -]\p{Nd}{3}|\p{Nd}{4}[ -]\p{Nd}{4})(?!\p{Nd})/gu;

/** The mask of a one-time code. */
export const MASKED_CODE = '••••••';

/** `text` with every card number and one-time code masked (see the module comment). */
export function maskSecrets(text: string): string {
  return maskPans(text).replace(ONE_TIME_CODE, MASKED_CODE);
}

/** True when `text` holds a one-time code as defined above (tests and scans). */
export function containsOneTimeCode(text: string): boolean {
  return new RegExp(ONE_TIME_CODE.source, 'u').test(text);
}
