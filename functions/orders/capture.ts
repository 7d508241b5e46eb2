import { buildSchedule } from '../installments/terms.ts';
import { type Clock, isoDay } from '../lib/clock.ts';
import { type CodeOfKind, DomainError } from '../lib/errors.ts';
import { newId } from '../lib/ids.ts';
import type { Commit } from '../lib/use-case.ts';
import { type CaptureDetails, captureDetailsOf } from './capture-details.ts';
import { requestCharges } from './charge-requests.ts';
import { refuseWhileDisputed } from './dispute-hold.ts';
import { movementOf, orderEventItems } from './events.ts';
import type { CaptureRecord, InstallmentRecord, OrderRecord, OrderStatus } from './model.ts';
import { MAX_CAPTURES_PER_ORDER } from './policy.ts';
import type { CaptureResponse } from './schema.ts';
import { committing, type MerchantPrincipal, requirePartition, scheduleOptions } from './shared.ts';
import { canTransition, statusAfterCapture } from './state.ts';
import * as store from './store.ts';
import { orderTotals } from './totals.ts';
import { toCapture } from './view.ts';

const refused = (code: CodeOfKind<'rejected'>, message: string, param?: string) =>
  new DomainError('rejected', code, message, param);

/** The status a capture moves the order to; refuses an order that cannot take `amount` more. */
function captureTarget(order: OrderRecord, amount: number, nowMs: number): OrderStatus {
  refuseWhileDisputed(order);
  const to = statusAfterCapture(order);
  if (!canTransition(order.status, to)) {
    throw refused('order_not_capturable', `The order is ${order.status}; it cannot be captured.`);
  }
  if (order.authorizationReleased || nowMs >= Date.parse(order.authorizationExpiresAt)) {
    throw refused('authorization_expired', 'The authorization has expired; nothing more can be captured.');
  }
  const remaining = order.amount - order.capturedAmount;
  if (amount > remaining) {
    throw refused(
      'capture_exceeds_authorization',
      `The capture exceeds the ${remaining} minor units left to capture.`,
      'amount',
    );
  }
  if (order.captureCount >= MAX_CAPTURES_PER_ORDER) {
    throw refused('too_many_captures', `An order takes at most ${MAX_CAPTURES_PER_ORDER} captures.`);
  }
  return to;
}

/**
 * The capture and its own installments, financed on the order's plan terms from `now`. Installments
 * due today are `charging` (attempt 1); every one is in the `due` index, so that a `charging` one
 * stays findable if we crash mid-charge.
 */
export function newCapture(
  order: OrderRecord,
  amount: number,
  now: Date,
): { capture: CaptureRecord; installments: InstallmentRecord[] } {
  const at = now.toISOString();
  const today = isoDay(now);
  const schedule = buildSchedule(order.plan, amount, order.currency, now, scheduleOptions(order));
  const captureId = newId('capture', now);
  const installments: InstallmentRecord[] = schedule.installments.map((planned) => {
    const installmentId = newId('installment', now);
    const chargeNow = planned.dueDate <= today;
    return {
      id: installmentId,
      orderId: order.id,
      merchantId: order.merchantId,
      customerId: order.customerId,
      captureId,
      seq: planned.seq,
      dueDate: planned.dueDate,
      amount: planned.amount,
      originalAmount: planned.amount,
      principal: planned.principal,
      interest: planned.interest,
      currency: order.currency,
      cardToken: order.cardToken,
      status: chargeNow ? 'charging' : 'due',
      attempts: chargeNow ? 1 : 0,
      refunded: 0,
      ...(chargeNow ? { chargingSince: at } : {}),
      ...(order.subscriptionId === undefined ? {} : { subscriptionId: order.subscriptionId }),
      version: 1,
      createdAt: at,
      updatedAt: at,
      ...store.dueIndex(installmentId, planned.dueDate),
    };
  });
  const capture: CaptureRecord = {
    id: captureId,
    orderId: order.id,
    amount,
    currency: order.currency,
    refundedAmount: 0,
    disclosure: schedule.disclosure,
    installmentIds: installments.map((i) => i.id),
    createdAt: at,
  };
  return { capture, installments };
}

/**
 * Captures `amount` (partial and multiple captures allowed, never beyond the authorization).
 *
 * Each capture is financed on the order's plan terms from its own capture date: it gets its own
 * installments (summing exactly to the capture) and its own disclosure. A second capture therefore
 * adds a second series of installments dated from the second capture; the first series is not
 * touched. The shopper never pays for goods not yet shipped, and a refund of a capture reduces
 * exactly that capture's installments.
 *
 * The capture, its installments (with their `due` index entries), the order's new totals and the
 * `order.captured` event commit in one transaction with the idempotency record, conditioned on the
 * order version and captured total read. Installments due on the capture day (pay_in_4's first) are
 * written as `charging` (attempt 1) and, after the commit, handed to the charger (the only function
 * that may detokenize a card; ./charge-requests.ts), which charges them with the processor key
 * `<installmentId>#1` and records the outcome; the response shows them `charging`, and
 * `installment.paid` / `installment.failed` follow. A lost request leaves a `charging` installment
 * in the `due` index for collection to settle with the same key. Tessera carries the shopper's credit risk: a declined first installment does not
 * undo the capture; it is reported by `installment.failed` and goes to dunning.
 * Refusals (rejected): `order_not_capturable`, `authorization_expired`,
 * `capture_exceeds_authorization`, `too_many_captures`; not_found; conflict `concurrent_update`.
 */
export async function capture(
  principal: MerchantPrincipal,
  id: string,
  amount: number,
  commit: Commit<CaptureResponse>,
  clock: Clock,
  details: CaptureDetails = {},
): Promise<CaptureResponse> {
  const partition = await requirePartition(principal, id);
  const { order } = partition;
  const now = clock.now();
  const to = captureTarget(order, amount, now.getTime());
  const { capture: captureRecord, installments } = newCapture(order, amount, now);
  Object.assign(captureRecord, captureDetailsOf(details, now.toISOString()));
  // What the installments owe, interest included (monthly plans), not only the principal.
  const totals = orderTotals(
    [...partition.captures, captureRecord],
    [...partition.installments, ...installments],
  );
  const after: OrderRecord = {
    ...order,
    status: to,
    ...totals,
    captureCount: order.captureCount + 1,
    version: order.version + 1,
    updatedAt: now.toISOString(),
  };
  const items = [
    store.orderTransitionItem(
      order,
      to,
      { ...totals, captureCount: after.captureCount },
      after.updatedAt,
      // Redundant with the version, and deliberate: the authorized amount is the invariant.
      { condition: 'capturedAmount = :prevCaptured', values: { ':prevCaptured': order.capturedAmount } },
    ),
    store.putCaptureItem(captureRecord),
    ...installments.map(store.putInstallmentItem),
    // Fully captured: no authorization left to lapse.
    ...(after.capturedAmount === after.amount ? [store.deleteAuthExpiryItem(order.id)] : []),
    ...orderEventItems('order.captured', after, clock, undefined, { capture: movementOf(captureRecord) }),
  ];
  const result = await committing(commit, items, toCapture(captureRecord, installments));
  // After the commit nothing may fail the request: the capture stands whatever the card says, and a
  // charge request that is not queued is settled by the next collection run.
  await requestCharges(
    installments.filter((i) => i.status === 'charging'),
    now,
  );
  return result;
}
