/**
 * One-time codes sent by SMS/email, and recovery codes: generation, peppered hashing, checking.
 *
 * Codes are stored only as HMAC-SHA-256 under a server-side pepper (from Secrets Manager, never in
 * the table). A 6-digit code has 10^6 values, so a plain hash would fall to an offline search in
 * milliseconds; without the pepper a stolen table gives nothing. The `context` (e.g. the challenge
 * id, or the customer id for recovery codes) is bound into the MAC, so a hash copied to another
 * challenge or customer never matches and equal codes hash differently.
 */
import { createHmac, randomInt, timingSafeEqual } from 'node:crypto';
import * as z from 'zod';
import { defineSchema } from '../lib/schema.ts';

export const OTP_DIGITS = 6;
export const RECOVERY_CODE_COUNT = 10;
/** Crockford base32: no I, L, O or U, so nothing reads as another character. */
export const RECOVERY_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
/** 12 symbols x 5 bits = 60 bits per code, shown as three groups of four. */
export const RECOVERY_CODE_LENGTH = 12;
const MIN_PEPPER_BYTES = 32;

export type Pepper = string | Uint8Array;

export const otpCodeSchema = /* @__PURE__ */ defineSchema(() =>
  z
    .string()
    .regex(/^\d{6}$/, 'Enter the 6-digit code.')
    .meta({ example: '492039' }),
);

/** One group of a recovery code as typed: O, I and L are read as 0, 1 and 1; U is never a symbol. */
const RECOVERY_GROUP = '[0-9A-TV-Za-tv-z]{4}';

/** Accepts what a person types: any case, with or without the dashes or spaces between groups. */
export const recoveryCodeSchema = /* @__PURE__ */ defineSchema(() =>
  z
    .string()
    .trim()
    .max(32, 'That is not a recovery code.')
    .refine((value) => isRecoveryCodeShape(value), 'Enter a recovery code like ABCD-EFGH-JKMN.')
    .meta({
      description:
        'Three groups of four Crockford base32 symbols; any case, dashes or spaces between groups optional.',
      pattern: `^\\s*${RECOVERY_GROUP}[- ]?${RECOVERY_GROUP}[- ]?${RECOVERY_GROUP}\\s*$`,
      example: 'ABCD-EFGH-JKMN',
    }),
);

/** A uniformly random 6-digit code from the CSPRNG (randomInt rejects biased draws internally). */
export function generateOtp(): string {
  return String(randomInt(0, 10 ** OTP_DIGITS)).padStart(OTP_DIGITS, '0');
}

/** base64url HMAC-SHA-256(pepper, domain | context | code). */
export function hashCode(code: string, pepper: Pepper, context: string): string {
  return mac('otp', code, pepper, context);
}

/** Constant-time check of a typed code against its stored hash; false (not a throw) for junk input. */
export function verifyCodeHash(code: string, storedHash: string, pepper: Pepper, context: string): boolean {
  return equalHashes(hashCode(typeof code === 'string' ? code : '', pepper, context), storedHash);
}

export interface RecoveryCode {
  /** Shown to the user once, as `XXXX-XXXX-XXXX`. */
  code: string;
  /** What is stored. */
  hash: string;
}

/** `n` distinct recovery codes and their hashes, bound to `context` (the customer id). */
export function generateRecoveryCodes(
  pepper: Pepper,
  context: string,
  n = RECOVERY_CODE_COUNT,
): RecoveryCode[] {
  if (!Number.isInteger(n) || n < 1 || n > 100) throw new RangeError('n must be an integer from 1 to 100');
  const seen = new Set<string>();
  const out: RecoveryCode[] = [];
  while (out.length < n) {
    let raw = '';
    for (let i = 0; i < RECOVERY_CODE_LENGTH; i++)
      raw += RECOVERY_ALPHABET[randomInt(RECOVERY_ALPHABET.length)];
    if (seen.has(raw)) continue;
    seen.add(raw);
    out.push({ code: formatRecoveryCode(raw), hash: hashRecoveryCode(raw, pepper, context) });
  }
  return out;
}

/**
 * Canonical form of a typed recovery code: upper case, separators dropped, and Crockford's
 * look-alikes folded (O -> 0, I/L -> 1). Undefined when it cannot be a recovery code.
 */
export function normalizeRecoveryCode(input: string): string | undefined {
  if (typeof input !== 'string' || input.length > 32) return undefined;
  const folded = input.trim().toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
  return /^[0-9A-HJKMNP-TV-Z]{12}$/.test(folded) ? folded : undefined;
}

export function hashRecoveryCode(code: string, pepper: Pepper, context: string): string {
  // Junk still gets hashed (under a value no code can normalize to) so it costs the same and never matches.
  return mac('recovery', normalizeRecoveryCode(code) ?? '\u0000invalid', pepper, context);
}

/**
 * Index of the stored hash that `code` matches, or -1. Compares against every hash without an early
 * exit, so the time does not tell which slot (or whether any) matched. The caller must then delete
 * that hash with a conditional write, so each recovery code works once.
 */
export function matchRecoveryCode(
  code: string,
  storedHashes: readonly string[],
  pepper: Pepper,
  context: string,
): number {
  const candidate = hashRecoveryCode(code, pepper, context);
  let found = -1;
  storedHashes.forEach((stored, i) => {
    if (equalHashes(candidate, stored) && found === -1) found = i;
  });
  return found;
}

function formatRecoveryCode(raw: string): string {
  return `${raw.slice(0, 4)}-${raw.slice(4, 8)}-${raw.slice(8, 12)}`;
}

function isRecoveryCodeShape(value: string): boolean {
  return (
    /^[0-9A-Za-z]{4}[- ]?[0-9A-Za-z]{4}[- ]?[0-9A-Za-z]{4}$/.test(value) &&
    normalizeRecoveryCode(value) !== undefined
  );
}

function mac(domain: 'otp' | 'recovery', code: string, pepper: Pepper, context: string): string {
  const key = typeof pepper === 'string' ? Buffer.from(pepper, 'utf8') : pepper;
  if (key.byteLength < MIN_PEPPER_BYTES)
    throw new RangeError(`pepper must be at least ${MIN_PEPPER_BYTES} bytes`);
  if (context.length === 0) throw new RangeError('context is required');
  // Length-prefixed fields, so no (context, code) pair can be re-split into another.
  const fields = [`tessera/${domain}/v1`, context, code].map((f) => `${Buffer.byteLength(f, 'utf8')}:${f}`);
  return createHmac('sha256', key).update(fields.join('|'), 'utf8').digest('base64url');
}

function equalHashes(a: string, b: string): boolean {
  const left = Buffer.from(a, 'base64url');
  const right = typeof b === 'string' ? Buffer.from(b, 'base64url') : Buffer.alloc(0);
  // Lengths are public (always 32 bytes for a real hash); only the contents need constant time.
  return left.length === right.length && timingSafeEqual(left, right);
}
