/**
 * Money in Tessera: an integer number of minor units plus an ISO 4217 currency code.
 * Nothing here uses floating-point arithmetic on amounts; formatting and parsing are string math.
 */
import * as z from 'zod';
import { badRequest, unprocessable } from './errors.ts';
import { defineSchema } from './schema.ts';

/** The currencies Tessera settles in. Uppercase ISO 4217 alphabetic codes only. */
export const CURRENCY_CODES = [
  'USD',
  'EUR',
  'GBP',
  'CAD',
  'AUD',
  'NZD',
  'SEK',
  'NOK',
  'DKK',
  'CHF',
  'PLN',
  'JPY',
  'KRW',
  'KWD',
  'BHD',
  'JOD',
  'OMR',
  'TND',
] as const;

export type CurrencyCode = (typeof CURRENCY_CODES)[number];
export type CurrencyExponent = 0 | 2 | 3;

/** ISO 4217 minor-unit exponents (the number of decimal places of the minor unit). */
export const CURRENCY_EXPONENTS: Readonly<Record<CurrencyCode, CurrencyExponent>> = {
  USD: 2,
  EUR: 2,
  GBP: 2,
  CAD: 2,
  AUD: 2,
  NZD: 2,
  SEK: 2,
  NOK: 2,
  DKK: 2,
  CHF: 2,
  PLN: 2,
  JPY: 0,
  KRW: 0,
  KWD: 3,
  BHD: 3,
  JOD: 3,
  OMR: 3,
  TND: 3,
};

/**
 * THE conversion table of the currency catalogue: minor units worth roughly one US dollar in each
 * currency, rounded to a round number. Every money threshold and limit of the configuration (plan
 * limits, late fees, the checkout step-up threshold, withdrawal and credit limits) is written once in
 * whole US dollars and scaled by this table (`fromUsd`), or given per currency; a bare number of minor
 * units is never applied to every currency (JPY 50,000 is about USD 330, KWD 50.000 about USD 160).
 * A default only: operators may publish their own catalogue.
 */
export const UNITS_PER_USD: Readonly<Record<CurrencyCode, number>> = {
  USD: 100,
  EUR: 100,
  GBP: 100,
  CHF: 100,
  CAD: 100,
  AUD: 100,
  NZD: 100,
  SEK: 1_000,
  NOK: 1_000,
  DKK: 700,
  PLN: 400,
  JPY: 150,
  KRW: 1_300,
  KWD: 300,
  BHD: 400,
  JOD: 700,
  OMR: 400,
  TND: 3_000,
};

/** `usd` whole US dollars in minor units of `currency`, by the table above (exact integer math). */
export function fromUsd(usd: number, currency: CurrencyCode): number {
  return usd * UNITS_PER_USD[currency];
}

/**
 * `amount` (minor units of `currency`) in USD minor units, by the same conversion table, rounded
 * down. For thresholds that must mean the same money in every currency (risk rules).
 */
export function usdMinorEquivalent(amount: number, currency: CurrencyCode): number {
  return Math.floor((amount * 100) / UNITS_PER_USD[currency]);
}

/** `usd` whole US dollars in every supported currency (a per-currency map). */
export function perCurrencyFromUsd(usd: number): Partial<Record<CurrencyCode, number>> {
  const amounts: Partial<Record<CurrencyCode, number>> = {};
  for (const code of CURRENCY_CODES) amounts[code] = fromUsd(usd, code);
  return amounts;
}

export function isSupportedCurrency(code: unknown): code is CurrencyCode {
  return typeof code === 'string' && Object.hasOwn(CURRENCY_EXPONENTS, code);
}

/** The ISO 4217 exponent of a supported currency; 400 `currency_unsupported` otherwise. */
export function currencyExponent(code: string, param = 'currency'): CurrencyExponent {
  if (!isSupportedCurrency(code)) {
    throw badRequest(
      'currency_unsupported',
      `Unsupported currency ${JSON.stringify(code)}; use an uppercase ISO 4217 code from: ${CURRENCY_CODES.join(', ')}.`,
      param,
    );
  }
  return CURRENCY_EXPONENTS[code];
}

const AMOUNT_TYPE_MESSAGE =
  'amount must be an integer number of minor units (1050 means 10.50 USD), not a float or a string';
const AMOUNT_UNSAFE_MESSAGE = 'amount is outside the safe integer range';

function minorUnits(min: 0 | 1) {
  return z
    .int({
      error: (issue) => (issue.code === 'invalid_type' ? AMOUNT_TYPE_MESSAGE : AMOUNT_UNSAFE_MESSAGE),
    })
    .min(min, {
      error: min === 1 ? 'amount must be at least 1 minor unit' : 'amount must not be negative',
    });
}

/** A positive integer amount in minor units (floats, NaN, strings and unsafe integers are rejected). */
export const MinorUnitsSchema = /* @__PURE__ */ defineSchema(() => minorUnits(1));
/** As MinorUnitsSchema but allowing zero, for balances and fees that may be nil. */
export const NonNegativeMinorUnitsSchema = /* @__PURE__ */ defineSchema(() => minorUnits(0));

export const CurrencyCodeSchema = /* @__PURE__ */ defineSchema(() =>
  z
    .enum(CURRENCY_CODES, {
      error: () => `currency must be an uppercase ISO 4217 code, one of: ${CURRENCY_CODES.join(', ')}`,
    })
    .meta({ id: 'Currency', description: 'ISO 4217 alphabetic code (uppercase).' }),
);

/** `{ amount, currency }` with a positive amount: what the API accepts for prices, captures, refunds. */
export const MoneySchema = /* @__PURE__ */ defineSchema(() =>
  z.object({ amount: MinorUnitsSchema, currency: CurrencyCodeSchema }),
);
/** `{ amount, currency }` where zero is meaningful (outstanding balances, fees charged so far). */
export const NonNegativeMoneySchema = /* @__PURE__ */ defineSchema(() =>
  z.object({
    amount: NonNegativeMinorUnitsSchema,
    currency: CurrencyCodeSchema,
  }),
);

export type Money = z.infer<typeof MoneySchema>;

/**
 * Narrows `amount` to a safe, non-negative integer of minor units or throws an ApiError naming `param`:
 * 400 `invalid_amount` for anything malformed or negative, 422 `amount_too_small` for a zero that must be
 * positive (a well-formed value that breaks the business rule).
 */
export function assertMinorUnits(
  amount: unknown,
  param: string,
  options: { allowZero?: boolean } = {},
): asserts amount is number {
  if (typeof amount !== 'number' || !Number.isInteger(amount)) {
    throw badRequest('invalid_amount', `${param} must be an integer number of minor units.`, param);
  }
  if (!Number.isSafeInteger(amount)) {
    throw badRequest('invalid_amount', `${param} is outside the safe integer range.`, param);
  }
  if (amount < 0) {
    throw badRequest('invalid_amount', `${param} must not be negative.`, param);
  }
  if (amount === 0 && !options.allowZero) {
    throw unprocessable('amount_too_small', `${param} must be at least 1 minor unit.`, param);
  }
}

/**
 * Splits `total` minor units into `n` integer parts that sum to exactly `total`. Every part is
 * floor(total / n) except the first, which also carries the whole remainder (the platform rule:
 * the shopper pays any rounding difference up front, never spread over later installments).
 */
export function allocate(total: number, n: number): number[] {
  assertMinorUnits(total, 'amount', { allowZero: true });
  if (!Number.isSafeInteger(n) || n < 1)
    throw new RangeError(`allocate: n must be a positive integer, got ${n}`);
  // `%` is exact on safe integers, and total - remainder is an exact multiple of n, so no float rounding.
  const remainder = total % n;
  const base = (total - remainder) / n;
  const parts = new Array<number>(n).fill(base);
  parts[0] = base + remainder;
  return parts;
}

function groupThousands(digits: string): string {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/**
 * Human-readable text for an amount, e.g. `USD 1,234.56`, `JPY 1,234`, `KWD 1.234`, `USD -0.05`.
 * The currency code (not a symbol) keeps it unambiguous across CAD/AUD/USD.
 */
export function formatMoney(amount: number | bigint, currency: string): string {
  if (typeof amount === 'number' && !Number.isSafeInteger(amount)) {
    throw new RangeError(`formatMoney: amount must be a safe integer of minor units, got ${amount}`);
  }
  const exponent = currencyExponent(currency);
  const value = BigInt(amount);
  const negative = value < 0n;
  const digits = (negative ? -value : value).toString().padStart(exponent + 1, '0');
  const whole = groupThousands(digits.slice(0, digits.length - exponent));
  const fraction = exponent === 0 ? '' : `.${digits.slice(digits.length - exponent)}`;
  return `${currency} ${negative ? '-' : ''}${whole}${fraction}`;
}

/**
 * Parses a plain decimal string in major units ("10.5", "1234.567") into minor units of `currency`.
 * More decimals than the currency has are rejected rather than rounded: money is never silently changed.
 */
export function toMinorUnits(decimal: string, currency: string, param = 'amount'): number {
  const exponent = currencyExponent(currency);
  const match = /^(\d+)(?:\.(\d+))?$/.exec(decimal);
  if (!match) {
    throw badRequest('invalid_amount', `${param} must be a plain non-negative decimal like "12.34".`, param);
  }
  const whole = match[1] ?? '0';
  const fraction = match[2] ?? '';
  if (fraction.length > exponent) {
    throw badRequest(
      'invalid_amount',
      `${currency} has ${exponent} decimal places; got "${decimal}".`,
      param,
    );
  }
  const minor = BigInt(whole + fraction.padEnd(exponent, '0'));
  if (minor > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw badRequest('invalid_amount', `${param} is outside the safe integer range.`, param);
  }
  return Number(minor);
}
