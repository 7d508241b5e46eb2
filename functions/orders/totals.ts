/**
 * THE derivation of an order's money totals. Every use case that changes captures or installments
 * (capture, charge outcome, refund, and anything added later: fees, payoff) stores what this returns,
 * and the order view recomputes it, so the totals cannot drift from the installments they sum.
 * ARCHITECTURE.md, Domain rules, "Money totals reconcile, always".
 */
import type { CaptureRecord, InstallmentRecord, InstallmentStatus, OrderRecord } from './model.ts';

/** Installments the shopper still owes: what collection may yet charge (or is charging). */
export const OWING_STATUSES: ReadonlySet<InstallmentStatus> = new Set(['due', 'charging', 'failed']);

export type OrderTotals = Pick<
  OrderRecord,
  'capturedAmount' | 'refundedAmount' | 'outstandingAmount' | 'collectedAmount'
>;

/**
 * The order's totals, in integer minor units of its currency:
 * - `capturedAmount`: the captures' amounts;
 * - `refundedAmount`: what was refunded of them (purchase terms: principal, never interest);
 * - `outstandingAmount`: what the unpaid installments (due, charging, failed) still owe, interest
 *   and fees included;
 * - `collectedAmount`: what the paid installments collected (before any refund returned money).
 */
export function orderTotals(
  captures: readonly Pick<CaptureRecord, 'amount' | 'refundedAmount'>[],
  installments: readonly Pick<InstallmentRecord, 'amount' | 'status'>[],
): OrderTotals {
  let outstandingAmount = 0;
  let collectedAmount = 0;
  for (const installment of installments) {
    if (OWING_STATUSES.has(installment.status)) outstandingAmount += installment.amount;
    else if (installment.status === 'paid') collectedAmount += installment.amount;
  }
  return {
    capturedAmount: captures.reduce((sum, c) => sum + c.amount, 0),
    refundedAmount: captures.reduce((sum, c) => sum + c.refundedAmount, 0),
    outstandingAmount,
    collectedAmount,
  };
}
