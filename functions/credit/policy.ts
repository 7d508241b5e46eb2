/**
 * The numbers of credit assessment, in one place. Money limits are whole US dollars scaled per
 * currency by the catalogue's conversion table (lib/money-limits.ts), overridable per currency.
 */
import { DAY_MS } from '../lib/clock.ts';
import type { CurrencyCode } from '../lib/money.ts';
import { type MoneyLimit, moneyLimitFromEnv } from '../lib/money-limits.ts';

/** At most this many applications per customer in any rolling 30 days. */
export const APPLICATIONS_PER_WINDOW = 3;
export const APPLICATION_WINDOW_MS = 30 * DAY_MS;

/** At most this share of disposable income (income less obligations) may go to repayments (basis points). */
export const AFFORDABILITY_BPS = 4_000;

/** The most any applicant is granted (USD 10,000; `CREDIT_MAX_LIMIT_USD`, `…_BY_CURRENCY`). */
export const CREDIT_MAX_LIMIT_USD = 10_000;
/** The most granted without a clean repayment history (USD 1,000; `CREDIT_THIN_FILE_LIMIT_USD`). */
export const CREDIT_THIN_FILE_LIMIT_USD = 1_000;
/** Below this a counter-offer is not worth making: declined (USD 50; `CREDIT_MIN_OFFER_USD`). */
export const CREDIT_MIN_OFFER_USD = 50;

export interface CreditLimits {
  max: MoneyLimit;
  thinFile: MoneyLimit;
  minOffer: MoneyLimit;
}

let cached: CreditLimits | undefined;
export function creditLimits(): CreditLimits {
  cached ??= {
    max: moneyLimitFromEnv('CREDIT_MAX_LIMIT', CREDIT_MAX_LIMIT_USD),
    thinFile: moneyLimitFromEnv('CREDIT_THIN_FILE_LIMIT', CREDIT_THIN_FILE_LIMIT_USD),
    minOffer: moneyLimitFromEnv('CREDIT_MIN_OFFER', CREDIT_MIN_OFFER_USD),
  };
  return cached;
}

export type { CurrencyCode };
