/**
 * Customer passwords: scrypt hashing (node:crypto, async so the event loop stays free) and the
 * strength policy for new passwords, in the spirit of NIST SP 800-63B: a length floor, a block list
 * and context checks instead of composition rules.
 *
 * Stored form: `scrypt$N$r$p$salt$hash` (salt and hash base64url). The cost travels with each hash,
 * so the parameters can be raised later and `needsRehash` tells the login flow to upgrade a hash
 * while it holds the plaintext. Passwords are NFKC-normalized before hashing, so the same password
 * typed on another keyboard (composed vs decomposed accents, full-width digits) still matches;
 * this is part of the format and must not change without a new prefix.
 */
import { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from 'node:crypto';
import * as z from 'zod';

export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

/** 2^15 x 8 x 128 B = 32 MiB per hash. */
export const SCRYPT_PARAMS: Readonly<ScryptParams> = Object.freeze({ N: 2 ** 15, r: 8, p: 1 });
export const SALT_BYTES = 16;
export const KEY_BYTES = 32;

export const PASSWORD_MIN_CHARS = 12;
export const PASSWORD_MAX_CHARS = 128;
/** 128 code points of up to 4 UTF-8 bytes each. */
export const PASSWORD_MAX_BYTES = 512;

// Bounds on parameters read back from storage, so a corrupted or planted row cannot make a login
// allocate gigabytes or spin for minutes.
const LIMITS = { minN: 2 ** 14, maxN: 2 ** 20, maxR: 32, maxP: 16, minBytes: 16, maxBytes: 64 } as const;
const DUMMY_SALT = Buffer.alloc(SALT_BYTES, 0x5a);

/** Hashes a password for storage. Callers check strength first (`checkPasswordStrength`). */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(normalize(password), salt, KEY_BYTES, SCRYPT_PARAMS);
  const { N, r, p } = SCRYPT_PARAMS;
  return ['scrypt', N, r, p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

/**
 * Constant-time check of `password` against a stored hash. Pass `undefined` when the account does
 * not exist: the same scrypt work is done, so response time does not reveal which emails are
 * registered. Malformed hashes and oversized input give false, never a throw.
 */
export async function verifyPassword(password: string, stored: string | undefined): Promise<boolean> {
  const parsed = stored === undefined ? undefined : parseHash(stored);
  const candidate = typeof password === 'string' ? normalize(password) : '';
  const tooLong = Buffer.byteLength(candidate, 'utf8') > PASSWORD_MAX_BYTES;
  if (parsed === undefined || tooLong) {
    // No stored password can match; burn the same work on a fixed input and say no.
    await derive('', DUMMY_SALT, KEY_BYTES, SCRYPT_PARAMS);
    return false;
  }
  const key = await derive(candidate, parsed.salt, parsed.hash.length, parsed.params);
  return timingSafeEqual(key, parsed.hash);
}

/** True when a stored hash was made with other parameters than today's (or cannot be read). */
export function needsRehash(stored: string): boolean {
  const parsed = parseHash(stored);
  if (parsed === undefined) return true;
  const { N, r, p } = parsed.params;
  return (
    N !== SCRYPT_PARAMS.N ||
    r !== SCRYPT_PARAMS.r ||
    p !== SCRYPT_PARAMS.p ||
    parsed.salt.length !== SALT_BYTES ||
    parsed.hash.length !== KEY_BYTES
  );
}

export type PasswordProblem =
  | 'too_short'
  | 'too_long'
  | 'invalid_characters'
  | 'contains_email'
  | 'common'
  | 'repetitive'
  | 'digits_only';

export const PASSWORD_PROBLEM_MESSAGES: Readonly<Record<PasswordProblem, string>> = {
  too_short: `Use at least ${PASSWORD_MIN_CHARS} characters.`,
  too_long: `Use at most ${PASSWORD_MAX_CHARS} characters.`,
  invalid_characters: 'Remove control characters such as line breaks or tabs.',
  contains_email: 'Do not include your email address or the part before the @.',
  common: 'This password is too common or too easy to guess. Choose something less predictable.',
  repetitive: 'Avoid repeated or sequential characters such as "aaaa", "abab" or "abcd".',
  digits_only: 'Do not use only digits. Add letters or words.',
};

/** Every problem with a proposed new password; empty when it is acceptable. */
export function checkPasswordStrength(password: string, context: { email?: string } = {}): PasswordProblem[] {
  // Cheap guard before normalizing: NFKC can at most triple the length of a string.
  if (password.length > PASSWORD_MAX_BYTES * 3) return ['too_long'];
  const pw = normalize(password);
  const chars = [...pw];
  const problems: PasswordProblem[] = [];

  if (chars.length < PASSWORD_MIN_CHARS) problems.push('too_short');
  if (chars.length > PASSWORD_MAX_CHARS || Buffer.byteLength(pw, 'utf8') > PASSWORD_MAX_BYTES) {
    problems.push('too_long');
  }
  if (/\p{Cc}/u.test(pw)) problems.push('invalid_characters');

  const lower = pw.toLowerCase();
  const local = emailLocalPart(context.email);
  if (local !== undefined && local.length >= 3 && lower.includes(local)) problems.push('contains_email');
  if (isCommon(lower)) problems.push('common');
  if (isRepetitive(chars)) problems.push('repetitive');
  if (/^\d+$/.test(pw)) problems.push('digits_only');
  return problems;
}

/** A new password, checked against the policy; add the email when it is known (see `newCredentialsSchema`). */
export function newPasswordSchema(context: { email?: string } = {}) {
  return z.string().superRefine((password, ctx) => {
    for (const problem of checkPasswordStrength(password, context)) {
      ctx.addIssue({ code: 'custom', message: PASSWORD_PROBLEM_MESSAGES[problem], params: { problem } });
    }
  });
}

/**
 * zod refinement for a body carrying both email and password (registration, password change): one
 * issue per strength problem, pointing at `password`.
 */
const SCHEMA_PROBLEMS: ReadonlySet<PasswordProblem> = new Set([
  'too_short',
  'too_long',
  'invalid_characters',
]);

export function refinePasswordStrength(
  { email, password }: { email: string; password: string },
  ctx: z.RefinementCtx,
): void {
  addStrengthIssues(password, { email }, 'password', ctx);
}

/**
 * One zod issue at `field` per strength problem of `password`: length and characters as plain
 * schema issues, the rest with the `password_too_weak` code (the kernel maps `params.code`).
 */
export function addStrengthIssues(
  password: string,
  context: { email?: string },
  field: string,
  ctx: z.RefinementCtx,
): void {
  for (const problem of checkPasswordStrength(password, context)) {
    ctx.addIssue({
      code: 'custom',
      path: [field],
      message: PASSWORD_PROBLEM_MESSAGES[problem],
      // Length and characters are in the document's schema; the rest is policy, with its own code.
      params: SCHEMA_PROBLEMS.has(problem) ? { problem } : { problem, code: 'password_too_weak' },
    });
  }
}

function normalize(password: string): string {
  return password.normalize('NFKC');
}

function derive(password: string, salt: Buffer, keyLength: number, params: ScryptParams): Promise<Buffer> {
  const options: ScryptOptions = {
    N: params.N,
    r: params.r,
    p: params.p,
    // Node's default cap (32 MiB) is exactly what N=2^15, r=8 needs and rejects it; allow twice.
    maxmem: 2 * 128 * params.N * params.r * params.p,
  };
  return new Promise((resolve, reject) => {
    scrypt(password, salt, keyLength, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

interface ParsedHash {
  params: ScryptParams;
  salt: Buffer;
  hash: Buffer;
}

function parseHash(stored: string): ParsedHash | undefined {
  if (typeof stored !== 'string' || stored.length > 512) return undefined;
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return undefined;
  const [N, r, p] = parts
    .slice(1, 4)
    .map((part) => (/^[1-9]\d{0,9}$/.test(part) ? Number(part) : Number.NaN));
  if (N === undefined || r === undefined || p === undefined) return undefined;
  if (!(N >= LIMITS.minN && N <= LIMITS.maxN && (N & (N - 1)) === 0)) return undefined;
  if (!(r >= 1 && r <= LIMITS.maxR && p >= 1 && p <= LIMITS.maxP)) return undefined;
  const salt = decode(parts[4]);
  const hash = decode(parts[5]);
  if (salt === undefined || hash === undefined) return undefined;
  return { params: { N, r, p }, salt, hash };
}

function decode(part: string | undefined): Buffer | undefined {
  if (part === undefined || !/^[A-Za-z0-9_-]+$/.test(part)) return undefined;
  const bytes = Buffer.from(part, 'base64url');
  // Reject non-canonical encodings too, so one hash has exactly one spelling.
  if (bytes.toString('base64url') !== part) return undefined;
  return bytes.length >= LIMITS.minBytes && bytes.length <= LIMITS.maxBytes ? bytes : undefined;
}

function emailLocalPart(email: string | undefined): string | undefined {
  if (email === undefined) return undefined;
  const at = email.lastIndexOf('@');
  const local = (at === -1 ? email : email.slice(0, at)).normalize('NFKC').toLowerCase();
  // Sub-addressing (ann+shop@) still names the same person.
  return local.split('+')[0];
}

const LEET: Readonly<Record<string, string>> = {
  '@': 'a',
  '4': 'a',
  '3': 'e',
  '1': 'i',
  '!': 'i',
  '0': 'o',
  $: 's',
  '5': 's',
  '7': 't',
};

/**
 * Common if the whole password is on the list, or if it is one listed word (leetspeak undone, so
 * "P@ssw0rd" is "password") padded only with digits and symbols: "Password2024!", "!!monkey123456".
 */
function isCommon(lower: string): boolean {
  if (COMMON_PASSWORDS.has(lower)) return true;
  const chars = [...lower];
  const plain = chars.map((c) => LEET[c] ?? c);
  const hasLetter = (from: number, to: number) => chars.slice(from, to).some((c) => /\p{L}/u.test(c));
  for (const word of COMMON_PASSWORDS) {
    if (word.length < 4 || word.length > chars.length) continue;
    for (let i = 0; i + word.length <= chars.length; i++) {
      if (
        plain.slice(i, i + word.length).join('') !== word &&
        chars.slice(i, i + word.length).join('') !== word
      ) {
        continue;
      }
      if (!hasLetter(0, i) && !hasLetter(i + word.length, chars.length)) return true;
    }
  }
  return false;
}

/**
 * Repetitive: one short unit repeated ("aaaaaaaaaaaa", "abcabcabcabc", "121212121212"), fewer than
 * five distinct characters, or one straight run up or down ("abcdefghijkl", "987654321098" wraps).
 */
function isRepetitive(chars: readonly string[]): boolean {
  const n = chars.length;
  if (n === 0) return false;
  if (new Set(chars).size < 5) return true;
  for (let unit = 1; unit <= n / 2; unit++) {
    if (n % unit === 0 && chars.every((c, i) => c === chars[i % unit])) return true;
  }
  const codes = chars.map((c) => c.toLowerCase().codePointAt(0) ?? 0);
  for (const direction of [1, -1]) {
    const straight = codes.every((code, i) => {
      const prev = codes[i - 1];
      if (prev === undefined) return true;
      if (code - prev === direction) return true;
      // Digits wrap around on keypads and in "1234567890".
      const isDigit = (x: number) => x >= 48 && x <= 57;
      return isDigit(code) && isDigit(prev) && (code - prev + 10) % 10 === (direction + 10) % 10;
    });
    if (straight) return true;
  }
  return false;
}

// The most common passwords from public breach corpora (SecLists, NCSC "100k", yearly "top 200"
// lists), lowercase, plus context words for this service. Most are shorter than 12 characters and
// matter through the "common word plus digits" rule above.
const COMMON_PASSWORDS: ReadonlySet<string> = new Set(
  `
123456 123456789 12345678 12345 1234567 1234567890 111111 123123 000000 654321 666666 121212 112233
123321 987654321 1234 11111111 555555 password password1 password12 password123 password1234
passw0rd p@ssw0rd p@ssword qwerty qwerty1 qwerty12 qwerty123 qwertyuiop qwertyui qwer1234 1q2w3e4r
1q2w3e 1q2w3e4r5t 1qaz2wsx 1qaz2wsx3edc zaq12wsx zaq1zaq1 qazwsx qazwsxedc asdfgh asdfghjkl asdf1234
zxcvbnm zxcvbn q1w2e3r4 q1w2e3r4t5 abc123 abcd1234 abcdef abcdefg aa123456 a123456 123456a qwe123
123qwe iloveyou iloveyou1 letmein welcome welcome1 admin admin123 administrator root toor login
master secret changeme default guest test test123 testing hello hello123 monkey dragon sunshine
princess football baseball basketball soccer hockey superman batman starwars pokemon trustno1
freedom whatever shadow michael jennifer jordan jordan23 hunter hunter2 buster harley charlie tigger
ginger pepper cheese summer winter flower lovely mustang access computer internet samsung google
matrix killer ninja azerty solo loveme fuckyou maggie daniel thomas andrew robert jessica michelle
nicole ashley bailey qwertyuiopasdfghjkl correcthorsebatterystaple tessera tessera123 buynowpaylater
paylater
`
    .trim()
    .split(/\s+/),
);
