/**
 * Money thresholds and limits in configuration, one mechanism for all of them: a limit is written
 * once in whole US dollars (`<NAME>_USD`) and scaled into each currency by the catalogue's
 * conversion table (`fromUsd`, ./money.ts), with optional per-currency overrides in minor units
 * (`<NAME>_BY_CURRENCY`, JSON such as `{"JPY":75000,"KWD":150000}`). A bare number of minor units is
 * never applied to every currency: 50,000 minor units is USD 500.00 but only JPY 50,000 (~USD 330).
 */
import * as z from 'zod';
import { CURRENCY_CODES, type CurrencyCode, fromUsd } from './money.ts';

/** A limit per currency, in minor units of that currency. */
export type MoneyLimit = (currency: CurrencyCode) => number;

const OverridesSchema = z.partialRecord(z.enum(CURRENCY_CODES), z.int().min(0));

/**
 * Reads the limit `name` from `env`: `<name>_USD` (a whole number of US dollars, default
 * `defaultUsd`) scaled per currency, overridden by `<name>_BY_CURRENCY`. Throws (at start-up, naming
 * the variable) on a malformed value.
 */
export function moneyLimitFromEnv(
  name: string,
  defaultUsd: number,
  env: Record<string, string | undefined> = process.env,
): MoneyLimit {
  const usdRaw = env[`${name}_USD`];
  const usd = usdRaw === undefined || usdRaw === '' ? defaultUsd : Number(usdRaw);
  if (!Number.isSafeInteger(usd) || usd < 0) {
    throw new Error(`Invalid configuration in environment: ${name}_USD must be a whole number of US dollars`);
  }
  const raw = env[`${name}_BY_CURRENCY`];
  let overrides: Partial<Record<CurrencyCode, number>> = {};
  if (raw) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      parsed = undefined;
    }
    const checked = OverridesSchema.safeParse(parsed);
    if (!checked.success) {
      throw new Error(
        `Invalid configuration in environment: ${name}_BY_CURRENCY must be a JSON object of currency -> minor units`,
      );
    }
    overrides = checked.data;
  }
  return (currency) => overrides[currency] ?? fromUsd(usd, currency);
}
