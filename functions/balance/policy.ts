/** The numbers of the balance and withdrawals (money limits per currency: lib/money-limits.ts). */
import type { CurrencyCode } from '../lib/money.ts';
import { type MoneyLimit, moneyLimitFromEnv } from '../lib/money-limits.ts';

/** One withdrawal may move at most USD 5,000 (scaled per currency; `WITHDRAWAL_MAX_USD`, `…_BY_CURRENCY`). */
export const WITHDRAWAL_MAX_USD = 5_000;

let max: MoneyLimit | undefined;
export function withdrawalMax(currency: CurrencyCode): number {
  max ??= moneyLimitFromEnv('WITHDRAWAL_MAX', WITHDRAWAL_MAX_USD);
  return max(currency);
}
