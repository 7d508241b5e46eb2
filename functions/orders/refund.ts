import { applyRefund, type RefundResult, refundCapacity } from '../installments/terms.ts';
import type { Clock } from '../lib/clock.ts';
import { DomainError } from '../lib/errors.ts';
import { newId } from '../lib/ids.ts';
import { logger } from '../lib/logger.ts';
import type { TransactItem } from '../lib/transactions.ts';
import type { Commit } from '../lib/use-case.ts';
import type { CardProcessor } from '../payments/processor.ts';
import { type RefundDetails, refundDetailsOf } from './capture-details.ts';
import { movementOf, orderEventItems } from './events.ts';
import { settleOrder } from './lifecycle.ts';
import {
  balanceShareOfReturn,
  type CaptureRecord,
  type InstallmentRecord,
  type OrderPartition,
  type OrderRecord,
  type RefundRecord,
} from './model.ts';
import { MAX_REFUND_TRANSACTION_ITEMS } from './policy.ts';
import { balanceReturnItems, cardRefundKey, recordCardRefunds } from './refund-retry.ts';
import type { RefundResponse } from './schema.ts';
import { committing, type MerchantPrincipal, requirePartition } from './shared.ts';
import { canTransition, statusAfter } from './state.ts';
import * as store from './store.ts';
import { orderTotals } from './totals.ts';
import { toRefund } from './view.ts';

interface CaptureRefund {
  capture: CaptureRecord;
  installments: InstallmentRecord[];
  result: RefundResult;
  amount: number;
}

/**
 * Plans a refund over the captures: the named one, or every capture from the latest backwards. A
 * refund is in purchase terms (principal): each capture takes at most what it captured less what
 * was refunded of it. Within a capture, `applyRefund` reduces unpaid principal from the last
 * installment backwards (interest following it, at the order's APR), returns collected money only
 * once nothing remains to reduce, and returns interest too when the capture is refunded in full.
 * Throws rejected `refund_exceeds_refundable` beyond what can be refunded, conflict
 * `installment_charging` when only an installment being charged right now would make it fit.
 */
export function planRefund(partition: OrderPartition, amount: number, captureId?: string): CaptureRefund[] {
  const targets = captureId
    ? partition.captures.filter((c) => c.id === captureId)
    : [...partition.captures].reverse();
  const aprBps = partition.order.aprBps ?? 0;
  const plan: CaptureRefund[] = [];
  let remaining = amount;
  let inFlight = 0;
  for (const capture of targets) {
    const installments = partition.installments
      .filter((i) => i.captureId === capture.id)
      .sort((a, b) => a.seq - b.seq);
    const capacity = refundCapacity(installments);
    inFlight += capacity.inFlight;
    const take = Math.min(remaining, capacity.refundable, capture.amount - capture.refundedAmount);
    if (take <= 0) continue;
    plan.push({ capture, installments, result: applyRefund(installments, take, aprBps), amount: take });
    remaining -= take;
    if (remaining === 0) break;
  }
  if (remaining > 0) {
    if (remaining <= inFlight) {
      throw new DomainError(
        'conflict',
        'installment_charging',
        'An installment is being charged; retry the refund once it settles.',
      );
    }
    throw new DomainError(
      'rejected',
      'refund_exceeds_refundable',
      `The refund exceeds the refundable amount of ${amount - remaining} minor units${captureId ? ' of this capture' : ''}.`,
      'amount',
    );
  }
  return plan;
}

/** The installment and capture writes of a planned refund, and what it reduces and returns. */
function applyPlan(plan: CaptureRefund[], at: string) {
  const lines: RefundRecord['lines'] = [];
  const cardRefunds: RefundRecord['cardRefunds'] = [];
  const items: TransactItem[] = [];
  const changed = new Map<string, InstallmentRecord>();
  let reduced = 0;
  let returned = 0;
  let balanceReturned = 0;
  for (const part of plan) {
    part.installments.forEach((installment, index) => {
      const line = part.result.lines[index];
      const next = part.result.installments[index];
      if (!line || !next) return;
      lines.push({ captureId: part.capture.id, ...line });
      if (line.reducedBy === 0 && line.refundedBy === 0) return;
      const set: Record<string, unknown> = { amount: next.amount, refunded: next.refunded ?? 0 };
      if (line.reducedBy > 0) Object.assign(set, { principal: next.principal, interest: next.interest });
      const remove: string[] = [];
      // Reduced to nothing: there is nothing left to collect, so it leaves the collection index.
      if (line.reducedBy > 0 && next.amount === 0) {
        set.status = 'cancelled';
        remove.push('duePk', 'dueSk');
      }
      items.push(store.installmentUpdateItem(installment, set, at, remove));
      const { duePk: _p, dueSk: _s, ...kept } = installment;
      changed.set(installment.id, { ...(remove.length ? kept : installment), ...set } as InstallmentRecord);
      const toBalance = line.refundedBy > 0 ? balanceShareOfReturn(installment, next.refunded ?? 0) : 0;
      balanceReturned += toBalance;
      if (line.refundedBy - toBalance > 0) {
        cardRefunds.push({
          installmentId: installment.id,
          chargeId: installment.chargeId ?? '',
          amount: line.refundedBy - toBalance,
          status: 'pending',
        });
      }
    });
    items.push(store.captureRefundedItem(part.capture, part.capture.refundedAmount + part.amount));
    reduced += part.result.reduced;
    returned += part.result.refunded;
  }
  return { lines, cardRefunds, items, changed, reduced, returned, balanceReturned };
}

/** Refuses a refund the order cannot take: nothing captured, a closed order, an unknown capture. */
function checkRefundable(partition: OrderPartition, captureId: string | undefined): void {
  const { order } = partition;
  if (order.capturedAmount === 0) {
    throw new DomainError(
      'rejected',
      'nothing_to_refund',
      'Nothing was captured on this order; cancel it instead.',
    );
  }
  if (!canTransition(order.status, 'refunded')) {
    throw new DomainError(
      'rejected',
      'order_not_refundable',
      `The order is ${order.status}; it cannot be refunded.`,
    );
  }
  if (captureId && !partition.captures.some((c) => c.id === captureId)) {
    throw new DomainError(
      'not_found',
      'resource_missing',
      `No such capture on this order: ${captureId}.`,
      'captureId',
    );
  }
}

/**
 * Refunds `amount` over the order's captures (see `planRefund`): reduces what is still owed, then
 * returns collected money to the card after the commit (processor key `<refundId>#<installmentId>`).
 * The order's totals and status, the installments, the captures, the refund and `order.refunded`
 * commit in one transaction. Refusals: rejected `nothing_to_refund`, `order_not_refundable`,
 * `refund_exceeds_refundable`, `refund_too_large`; not_found (order, capture); conflict
 * `installment_charging`, `concurrent_update`.
 */
export async function refund(
  principal: MerchantPrincipal,
  id: string,
  body: { amount: number; captureId?: string | undefined } & RefundDetails,
  commit: Commit<RefundResponse>,
  clock: Clock,
  processor: () => CardProcessor,
): Promise<RefundResponse> {
  const partition = await requirePartition(principal, id);
  const { order } = partition;
  checkRefundable(partition, body.captureId);
  const plan = planRefund(partition, body.amount, body.captureId);

  const now = clock.now();
  const at = now.toISOString();
  const refundId = newId('refund', now);
  const { lines, cardRefunds, items, changed, reduced, returned, balanceReturned } = applyPlan(plan, at);
  const installmentsAfter = partition.installments.map((i) => changed.get(i.id) ?? i);
  const refundedOf = new Map(
    plan.map((part) => [part.capture.id, part.capture.refundedAmount + part.amount]),
  );
  const capturesAfter = partition.captures.map((c) => ({
    ...c,
    refundedAmount: refundedOf.get(c.id) ?? c.refundedAmount,
  }));
  const totals = orderTotals(capturesAfter, installmentsAfter);
  const fullyRefunded = totals.refundedAmount >= totals.capturedAmount;
  const to = statusAfter('refund', order, { ...order, ...totals }, installmentsAfter, now);
  const released = fullyRefunded ? { authorizationReleased: true } : {};
  const after: OrderRecord = {
    ...order,
    ...totals,
    status: to,
    ...released,
    version: order.version + 1,
    updatedAt: at,
  };
  const refundRecord: RefundRecord = {
    id: refundId,
    orderId: order.id,
    amount: body.amount,
    currency: order.currency,
    reducedAmount: reduced,
    returnedAmount: returned,
    lines,
    cardRefunds,
    ...(balanceReturned > 0 ? { balanceReturnedAmount: balanceReturned } : {}),
    ...refundDetailsOf(body),
    createdAt: at,
  };
  items.unshift(store.orderTransitionItem(order, to, { ...totals, ...released }, at));
  items.push(
    store.putRefundItem(refundRecord),
    // A full refund closes the order: what was not captured is released.
    ...(fullyRefunded ? [store.deleteAuthExpiryItem(order.id)] : []),
    ...balanceReturnItems(order, refundRecord, now),
    ...orderEventItems('order.refunded', after, clock, undefined, { refund: movementOf(refundRecord) }),
  );
  if (items.length > MAX_REFUND_TRANSACTION_ITEMS) {
    throw new DomainError(
      'rejected',
      'refund_too_large',
      'This refund spans too many installments for one step; refund each capture separately (captureId).',
      'captureId',
    );
  }
  const result = await committing(commit, items, toRefund(refundRecord));

  // After the commit nothing may fail the request: the refund stands; card returns are retried by key.
  try {
    await returnToCard(refundRecord, processor(), clock);
    await settleOrder(order.id, clock);
  } catch (error) {
    logger.error('refund post-processing incomplete', { orderId: order.id, refundId, error: error as Error });
  }
  return result;
}

/** Sends collected money back through the processor (key `<refundId>#<installmentId>`) and records it. */
export async function returnToCard(
  refundRecord: RefundRecord,
  processor: CardProcessor,
  clock: Clock,
): Promise<void> {
  if (refundRecord.cardRefunds.length === 0) return;
  const outcomes: RefundRecord['cardRefunds'] = [];
  for (const line of refundRecord.cardRefunds) {
    if (!line.chargeId) {
      outcomes.push({ ...line, status: 'failed' });
      continue;
    }
    const outcome = await processor.refund({
      chargeId: line.chargeId,
      amount: line.amount,
      currency: refundRecord.currency,
      idempotencyKey: cardRefundKey(refundRecord.id, line.installmentId, 1),
    });
    outcomes.push({ ...line, status: outcome.status });
  }
  // A refused return is retried by collection (orders/refund-retry.ts).
  await recordCardRefunds(refundRecord, outcomes, 1, clock.now());
}
