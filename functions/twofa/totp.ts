/**
 * TOTP (RFC 6238) and HOTP (RFC 4226) on top of otplib v13.
 *
 * Product parameters: SHA-1, 6 digits, 30 s step, ±1 step of clock drift, and every code accepted
 * once only (the caller stores the returned `step` and passes it back as `lastUsedStep`).
 *
 * otplib does the dynamic truncation, the window and the constant-time compare (the HMAC itself is
 * node:crypto's, through a small crypto plugin). We complement it in two places only:
 * - replay: otplib's `afterTimeStep` silently skips used steps, so on a miss we look again without
 *   it to tell "replayed" from "invalid" (the service counts the two differently);
 * - counters above 2^53 - 1: otplib caps counters at Number.MAX_SAFE_INTEGER, while RFC 4226/6238
 *   define a 64-bit counter. `hotpWide` covers the rest of the uint64 range with node:crypto. No
 *   real clock gets there (a Date tops out at step ~2.9e11); it keeps `totpAt`/`hotp` total over
 *   their input types, and the tests check it against otplib where both apply.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { type CryptoPlugin, generateURI, type HashAlgorithm, HOTP, ScureBase32Plugin, TOTP } from 'otplib';

export const TOTP_ALGORITHM: HashAlgorithm = 'sha1';
export const TOTP_DIGITS = 6;
export const TOTP_PERIOD_SECONDS = 30;
/** Steps of drift accepted either side of the current one. */
export const TOTP_WINDOW_STEPS = 1;
/** RFC 4226 requires >= 128 bits and recommends 160 (the SHA-1 output size). */
export const TOTP_SECRET_BYTES = 20;

const MAX_UINT64 = 2n ** 64n - 1n;
const HMAC_ALGORITHMS: readonly HashAlgorithm[] = ['sha1', 'sha256', 'sha512'];

/**
 * otplib's crypto plugin on node:crypto. otplib's convenience functions default to a pure-JS
 * plugin (@noble/hashes); passing this one to the classes keeps that library (and its SHA tables,
 * built at import) out of the bundle. otplib normalizes the algorithm before calling `hmac`.
 */
const nodeCrypto: CryptoPlugin = {
  name: 'node:crypto',
  algorithms: HMAC_ALGORITHMS,
  hmac: (algorithm, key, data) => new Uint8Array(createHmac(algorithm, key).update(data).digest()),
  randomBytes: (length) => new Uint8Array(randomBytes(length)),
  constantTimeEqual: (a, b) => {
    const left = typeof a === 'string' ? Buffer.from(a, 'utf8') : a;
    const right = typeof b === 'string' ? Buffer.from(b, 'utf8') : b;
    return left.length === right.length && timingSafeEqual(left, right);
  },
};
// Pure: a function that never touches TOTP (most customer routes import this module indirectly)
// drops otplib from its bundle.
const base32 = /* @__PURE__ */ new ScureBase32Plugin();
// The class (unlike the functional `verify`, typed for HOTP too) guarantees `timeStep` on success.
const productTotp = /* @__PURE__ */ new TOTP({
  algorithm: TOTP_ALGORITHM,
  digits: TOTP_DIGITS,
  period: TOTP_PERIOD_SECONDS,
  crypto: nodeCrypto,
  base32,
});
const rfcHotp = /* @__PURE__ */ new HOTP({ crypto: nodeCrypto, base32 });
const CODE_PATTERN = /^\d{6}$/;

/** A base32 secret (as stored and shown to the user) or raw key bytes (the RFC vectors). */
export type OtpSecret = string | Uint8Array;
/** Seconds since the Unix epoch, or an instant. */
export type OtpTime = Date | bigint | number;

export interface OtpParams {
  algorithm: HashAlgorithm;
  digits: number;
  period: number;
}

export type TotpVerifyResult = { ok: true; step: number } | { ok: false; reason: 'invalid' | 'replayed' };

/** A fresh 160-bit secret, base32 without padding (what authenticator apps take). */
export function generateTotpSecret(): string {
  return base32.encode(nodeCrypto.randomBytes(TOTP_SECRET_BYTES), { padding: false });
}

/** The `otpauth://totp/...` URI that the enrollment QR code encodes. */
export function otpauthUri(input: { secret: string; accountName: string; issuer?: string }): string {
  const issuer = input.issuer ?? 'Tessera';
  // The Key URI format uses ':' to split issuer from account; otplib does not escape it.
  if (input.accountName.includes(':') || issuer.includes(':')) {
    throw new RangeError('issuer and accountName must not contain ":"');
  }
  if (input.accountName.length === 0) throw new RangeError('accountName is required');
  return generateURI({
    issuer,
    label: input.accountName,
    secret: input.secret,
    algorithm: TOTP_ALGORITHM,
    digits: TOTP_DIGITS,
    period: TOTP_PERIOD_SECONDS,
  });
}

/** HOTP value for a counter anywhere in the uint64 range (RFC 4226). */
export async function hotp(
  secret: OtpSecret,
  counter: bigint | number,
  options: { algorithm?: HashAlgorithm; digits?: number } = {},
): Promise<string> {
  const c = toUint64(counter, 'counter');
  const algorithm = options.algorithm ?? TOTP_ALGORITHM;
  const digits = options.digits ?? TOTP_DIGITS;
  if (c > BigInt(Number.MAX_SAFE_INTEGER)) return hotpWide(secret, c, algorithm, digits);
  return rfcHotp.generate(Number(c), { secret, algorithm, digits });
}

/** TOTP value at a given time (RFC 6238), with explicit parameters for the test vectors. */
export async function totpAt(
  secret: OtpSecret,
  time: OtpTime,
  params: Partial<OtpParams> = {},
): Promise<string> {
  const algorithm = params.algorithm ?? TOTP_ALGORITHM;
  const digits = params.digits ?? TOTP_DIGITS;
  const period = params.period ?? TOTP_PERIOD_SECONDS;
  const seconds = toEpochSeconds(time);
  if (seconds <= BigInt(Number.MAX_SAFE_INTEGER)) {
    return productTotp.generate({ secret, epoch: Number(seconds), algorithm, digits, period });
  }
  return hotp(secret, seconds / BigInt(period), { algorithm, digits });
}

/** The RFC 6238 time step T = floor(unixSeconds / 30) that a code for `at` belongs to. */
export function totpStep(at: OtpTime): number {
  const step = toEpochSeconds(at) / BigInt(TOTP_PERIOD_SECONDS);
  if (step > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError('time is out of range');
  return Number(step);
}

/**
 * Checks a user-typed code against the product parameters at `at`. Never throws on user input:
 * anything but exactly six ASCII digits is `invalid`. A code whose matched step is <= lastUsedStep
 * is `replayed`; on success store `step` as the new lastUsedStep (conditionally, so two concurrent
 * checks of one code cannot both win).
 */
export async function verifyTotp(
  secret: string,
  code: string,
  at: Date,
  options: { lastUsedStep?: bigint | number | undefined } = {},
): Promise<TotpVerifyResult> {
  if (typeof code !== 'string' || !CODE_PATTERN.test(code)) return { ok: false, reason: 'invalid' };
  const base = {
    secret,
    epoch: Number(toEpochSeconds(at)),
    // otplib's tolerance is in seconds; one period either side is exactly the steps T-1..T+1.
    epochTolerance: TOTP_WINDOW_STEPS * TOTP_PERIOD_SECONDS,
  };

  const last =
    options.lastUsedStep === undefined ? undefined : toUint64(options.lastUsedStep, 'lastUsedStep');
  const newestStep = BigInt(totpStep(at) + TOTP_WINDOW_STEPS);

  if (last === undefined || last < newestStep) {
    const fresh = await productTotp.verify(code, {
      ...base,
      ...(last === undefined ? {} : { afterTimeStep: Number(last) }),
    });
    if (fresh.valid) return { ok: true, step: fresh.timeStep };
    if (last === undefined) return { ok: false, reason: 'invalid' };
  }
  // Every step still in the window is <= last: a match there is a replay, not a typo.
  const any = await productTotp.verify(code, base);
  return any.valid ? { ok: false, reason: 'replayed' } : { ok: false, reason: 'invalid' };
}

function toEpochSeconds(time: OtpTime): bigint {
  if (time instanceof Date) {
    const ms = time.getTime();
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError('time must be a valid instant at or after 1970');
    return BigInt(Math.floor(ms / 1000));
  }
  if (typeof time === 'number') {
    if (!Number.isFinite(time) || time < 0) throw new RangeError('time must be non-negative epoch seconds');
    return toUint64(Math.floor(time), 'time');
  }
  return toUint64(time, 'time');
}

function toUint64(value: bigint | number, name: string): bigint {
  if (typeof value === 'number' && !Number.isSafeInteger(value)) {
    throw new RangeError(`${name} must be a safe integer or a bigint`);
  }
  const big = BigInt(value);
  if (big < 0n || big > MAX_UINT64) throw new RangeError(`${name} must fit in an unsigned 64-bit integer`);
  return big;
}

/** RFC 4226 section 5.3 for counters otplib refuses (above 2^53 - 1). */
function hotpWide(secret: OtpSecret, counter: bigint, algorithm: HashAlgorithm, digits: number): string {
  // The same base32 decoder otplib applies to string secrets.
  const key = typeof secret === 'string' ? base32.decode(secret) : secret;
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(counter);
  const mac = createHmac(algorithm, key).update(message).digest();
  const offset = (mac.at(-1) ?? 0) & 0x0f;
  const binary = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(binary % 10 ** digits).padStart(digits, '0');
}
