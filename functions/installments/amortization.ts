/**
 * Level-payment amortization of a monthly plan, in integer minor units, with the Truth in Lending
 * disclosure figures. The APR is quoted in basis points (824 = 8.24%) so it is exact; the monthly rate is
 * aprBps / 120000.
 */
import { unprocessable } from '../lib/errors.ts';
import { allocate, assertMinorUnits } from '../lib/money.ts';
import { aprFromUnitPeriods, roundApr } from './apr.ts';

export interface AmortizationRow {
  /** 1-based payment number. */
  seq: number;
  payment: number;
  interest: number;
  principal: number;
  /** Principal still owed after this payment. */
  balance: number;
}

/** Reg Z 1026.18 figures. `apr` is the Appendix J APR of these exact payments, in percent to 2 decimals. */
export interface Disclosure {
  amountFinanced: number;
  financeCharge: number;
  totalOfPayments: number;
  apr: number;
  /** The regular payment; the first or last may differ (see the rows). */
  payment: number;
}

export interface Amortization {
  rows: AmortizationRow[];
  disclosure: Disclosure;
}

export const MAX_APR_BPS = 100_000;
export const MAX_TERM_MONTHS = 600;

function assertTerms(aprBps: number, months: number): void {
  if (!Number.isSafeInteger(aprBps) || aprBps < 0 || aprBps > MAX_APR_BPS) {
    throw unprocessable('apr_out_of_range', `aprBps must be an integer from 0 to ${MAX_APR_BPS}.`, 'aprBps');
  }
  if (!Number.isSafeInteger(months) || months < 1 || months > MAX_TERM_MONTHS) {
    throw unprocessable(
      'term_out_of_range',
      `termMonths must be an integer from 1 to ${MAX_TERM_MONTHS}.`,
      'termMonths',
    );
  }
}

/** One month's interest on `balance`, rounded half up to a minor unit, exactly (BigInt, no float). */
export function monthlyInterest(balance: number, aprBps: number): number {
  return Number((BigInt(balance) * BigInt(aprBps) * 2n + 120_000n) / 240_000n);
}

/**
 * The level monthly payment, rounded to the nearest minor unit. The annuity formula needs a power, so
 * it runs in floating point on the rate only; the result is rounded once, deterministically.
 */
export function levelPayment(principal: number, aprBps: number, months: number): number {
  assertMinorUnits(principal, 'amount');
  assertTerms(aprBps, months);
  // Exact integer floor division: `%` is exact on safe integers.
  if (aprBps === 0) return (principal - (principal % months)) / months;
  const rate = aprBps / 120_000;
  return Math.round((principal * rate) / (1 - (1 + rate) ** -months));
}

function toSafe(value: bigint, what: string): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw unprocessable(
      'amount_too_large',
      `The ${what} exceeds the largest amount that can be represented.`,
      'amount',
    );
  }
  return Number(value);
}

/** The rows of `principal` amortized over exactly `months` payments (some may be 0 for a tiny principal). */
function amortizeRows(principal: number, aprBps: number, months: number): AmortizationRow[] {
  const level = levelPayment(principal, aprBps, months);
  const rows: AmortizationRow[] = [];
  if (aprBps === 0) {
    let balance = principal;
    allocate(principal, months).forEach((part, index) => {
      balance -= part;
      rows.push({ seq: index + 1, payment: part, interest: 0, principal: part, balance });
    });
    return rows;
  }
  let balance = BigInt(principal);
  for (let seq = 1; seq <= months; seq += 1) {
    const interest = BigInt(monthlyInterest(toSafe(balance, 'balance'), aprBps));
    const owed = balance + interest;
    const payment = seq === months || BigInt(level) > owed ? owed : BigInt(level);
    balance = owed - payment;
    rows.push({
      seq,
      payment: toSafe(payment, 'payment'),
      interest: Number(interest),
      principal: toSafe(payment - interest, 'payment'),
      balance: toSafe(balance, 'balance'),
    });
  }
  return rows;
}

/**
 * Amortizes `principal` minor units at a nominal `aprBps` over at most `months` monthly payments.
 * Each month's interest is charged on the outstanding balance (rounded half up); every payment is the
 * rounded level payment except the last, which is whatever brings the balance to exactly 0. At 0% the
 * principal is split with `allocate`, so the rounding remainder goes on the first payment like every
 * other plan (ADR 0005).
 *
 * No payment is ever 0 (ADR 0011): a principal too small to give every month a payment of at least
 * one minor unit (say 5 cents over 12 months) is amortized over the longest shorter term that does,
 * down to a single payment. `rows.length` is that term; the disclosure describes those payments.
 */
export function amortize(principal: number, aprBps: number, months: number): Amortization {
  assertTerms(aprBps, months);
  assertMinorUnits(principal, 'amount');
  // At 0% the split is even, so the longest term without a zero payment is known at once.
  let term = aprBps === 0 ? Math.min(months, principal) : months;
  let rows = amortizeRows(principal, aprBps, term);
  while (term > 1 && rows.some((row) => row.payment === 0)) {
    term -= 1;
    rows = amortizeRows(principal, aprBps, term);
  }
  const level = levelPayment(principal, aprBps, term);

  let totalOfPayments = 0n;
  for (const row of rows) totalOfPayments += BigInt(row.payment);
  const total = toSafe(totalOfPayments, 'total of payments');
  const apr = aprFromUnitPeriods(
    principal,
    rows.map((row) => ({ amount: row.payment, periods: row.seq, fraction: 0 })),
    12,
  );
  return {
    rows,
    disclosure: {
      amountFinanced: principal,
      financeCharge: total - principal,
      totalOfPayments: total,
      apr: roundApr(apr),
      payment: level,
    },
  };
}
