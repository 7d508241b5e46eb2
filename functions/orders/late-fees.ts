/**
 * Late fees (ARCHITECTURE.md, Collection: "late fees are capped (fee per miss and a 25%-of-order cap,
 * both configuration)"). The terms come from the plan catalogue (installments/plans.ts `planFees`:
 * default USD 7.00, scaled per currency, after 10 days unpaid, all fees of an order together at most
 * 25% of what was captured).
 *
 * Rules:
 * - an installment still unpaid (`due` or `failed`) `lateFeeAfterDays` after its due date is charged
 *   ONE late fee; the fee is added to its `amount` (so it is collected with it, is in the schedule and
 *   in the order's `outstandingAmount`) and recorded in `lateFee`;
 * - the order's `lateFeesAmount` never exceeds the cap (`nextLateFee`): the fee that would pass it is
 *   cut to what is left, and none is charged once it is reached;
 * - never on a disputed order (`OrderRecord.disputed`, set by the disputes capability);
 * - assessed by the collection run: an installment that will not be charged again (retries spent,
 *   hard decline) stays in the `due` index on its late-fee day (`lateFeeOn`), visited for the fee only.
 * Idempotent: the write is conditioned on the installment's version and on `lateFee` being absent,
 * so a rerun (or two chargers racing) assesses an installment once.
 */
import { nextLateFee, planFees } from '../installments/terms.ts';
import { addDays, type Clock, isoDay } from '../lib/clock.ts';
import { Transaction, writeUnlessCancelled } from '../lib/transactions.ts';
import { orderEventItems } from './events.ts';
import type { InstallmentRecord, OrderPartition, OrderRecord } from './model.ts';
import * as store from './store.ts';
import { orderTotals } from './totals.ts';

/** The first day (YYYY-MM-DD) on which an installment unpaid since `dueDate` owes its late fee. */
export function lateFeeDay(
  order: Pick<OrderRecord, 'plan'>,
  installment: Pick<InstallmentRecord, 'dueDate'>,
): string {
  return addDays(installment.dueDate, planFees(order.plan).lateFeeAfterDays);
}

/** Whether an installment may still be charged a late fee (not yet charged one, order not disputed). */
export function lateFeePending(order: OrderRecord, installment: InstallmentRecord): boolean {
  return installment.lateFee === undefined && !order.disputed;
}

/**
 * The index attributes that park an unpaid installment that will not be charged again on its
 * late-fee day (never before tomorrow), so the run that reaches that day assesses the fee; undefined
 * when no fee is pending (the installment then simply leaves the index).
 */
export function lateFeeParking(
  order: OrderRecord,
  installment: InstallmentRecord,
  now: Date,
): { duePk: string; dueSk: string; lateFeeOn: string } | undefined {
  if (!lateFeePending(order, installment)) return undefined;
  const day = [lateFeeDay(order, installment), addDays(isoDay(now), 1)].sort().at(-1) ?? isoDay(now);
  return { ...store.dueIndex(installment.id, day), lateFeeOn: day };
}

export interface LateFeeResult {
  /** The fee charged now, minor units (0 when none was due or the cap was reached). */
  fee: number;
  /** The installment as written (its amount includes the fee), or as read when nothing changed. */
  installment: InstallmentRecord;
  /** False when the installment changed under us: the caller re-reads (or the queue redelivers). */
  written: boolean;
}

/**
 * Charges the late fee of one installment if it is due on `asOf` (YYYY-MM-DD): installment amount
 * and `lateFee`, the order's `outstandingAmount` and `lateFeesAmount`, and `order.late_fee_charged`
 * for the merchant, in one transaction conditioned on both versions. With `leaveIndex` the
 * installment also leaves the `due` index (a late-fee-only visit). A cap already reached records
 * `lateFee: 0` so the installment is not looked at again. Throws only on infrastructure errors.
 */
export async function assessLateFee(
  partition: OrderPartition,
  installment: InstallmentRecord,
  asOf: string,
  clock: Clock,
  leaveIndex = false,
): Promise<LateFeeResult> {
  const { order } = partition;
  const open = order.status === 'captured' || order.status === 'in_arrears';
  const unpaid = installment.status === 'due' || installment.status === 'failed';
  const feeDue =
    open && unpaid && lateFeePending(order, installment) && asOf >= lateFeeDay(order, installment);
  const at = clock.now().toISOString();
  const removed = leaveIndex ? ['duePk', 'dueSk', 'lateFeeOn'] : [];
  if (!feeDue) {
    if (!leaveIndex) return { fee: 0, installment, written: true };
    const written = await writeUnlessCancelled([store.installmentUpdateItem(installment, {}, at, removed)]);
    return { fee: 0, installment, written };
  }
  const fee = nextLateFee(
    order.capturedAmount,
    order.currency,
    order.lateFeesAmount ?? 0,
    planFees(order.plan),
  );
  const changed: InstallmentRecord = {
    ...installment,
    amount: installment.amount + fee,
    lateFee: fee,
    version: installment.version + 1,
    updatedAt: at,
  };
  const tx = new Transaction<'installment' | 'order'>().add(
    'installment',
    store.installmentUpdateItem(installment, { amount: changed.amount, lateFee: fee }, at, removed),
  );
  if (fee > 0) {
    const installmentsAfter = partition.installments.map((i) => (i.id === installment.id ? changed : i));
    const totals = {
      ...orderTotals(partition.captures, installmentsAfter),
      lateFeesAmount: (order.lateFeesAmount ?? 0) + fee,
    };
    const after: OrderRecord = { ...order, ...totals, version: order.version + 1, updatedAt: at };
    tx.add(
      'order',
      store.orderTransitionItem(order, order.status, totals, at),
      ...orderEventItems('order.late_fee_charged', after, clock, changed),
    );
  }
  const written = await writeUnlessCancelled(tx.items);
  return written ? { fee, installment: changed, written } : { fee: 0, installment, written };
}
