import {
  completeSessionItem,
  consumeAuthorizationItem,
  getAuthorization,
  sha256,
} from '../checkout/store.ts';
import { applyRefund, type RefundResult, refundCapacity } from '../installments/refund.ts';
import { buildSchedule, type ScheduleOptions } from '../installments/schedule.ts';
import { type Clock, isoDay } from '../lib/clock.ts';
import { conflict, notFound, unprocessable } from '../lib/errors.ts';
import type { HttpResult } from '../lib/http.ts';
import { newId } from '../lib/ids.ts';
import { logger } from '../lib/logger.ts';
import {
  conflictOnCancel,
  isCancellation,
  type TransactItem,
  Transaction,
  writeTransaction,
} from '../lib/transactions.ts';
import type { CardProcessor, ChargeResult } from '../payments/processor.ts';
import { decodeCursor, encodeCursor } from './cursor.ts';
import { nextRetryDay } from './dunning.ts';
import { orderEventItems } from './events.ts';
import {
  AUTHORIZATION_EXTENSION_MS,
  AUTHORIZATION_MAX_LIFE_MS,
  AUTHORIZATION_TTL_MS,
  MAX_CAPTURES_PER_ORDER,
  MAX_REFUND_TRANSACTION_ITEMS,
} from './policy.ts';
import type { OrderListResponse } from './schema.ts';
import { canTransition, type OrderStatus } from './state.ts';
import type { CaptureRecord, InstallmentRecord, OrderPartition, OrderRecord, RefundRecord } from './store.ts';
import * as store from './store.ts';
import { remainingAuthorized, toCapture, toOrder, toRefund, toSummary } from './view.ts';

type Commit = (items: TransactItem[], result: HttpResult) => Promise<HttpResult>;
export interface MerchantPrincipal {
  merchantId: string;
  livemode: boolean;
}

const AUTHORIZATION_TOKEN = /^authz_[A-Za-z0-9_-]{43}$/;
const OPTIMISTIC_RETRIES = 5;

const noSuchOrder = (id: string) => notFound(`No such order: ${id}.`, 'id');

/** Another merchant's order is indistinguishable from a missing one. */
async function requireOrder(principal: MerchantPrincipal, id: string): Promise<OrderRecord> {
  const order = await store.getOrder(id);
  if (!order || order.merchantId !== principal.merchantId) throw noSuchOrder(id);
  return order;
}

async function requirePartition(principal: MerchantPrincipal, id: string): Promise<OrderPartition> {
  const partition = await store.getOrderPartition(id);
  if (!partition || partition.order.merchantId !== principal.merchantId) throw noSuchOrder(id);
  return partition;
}

function scheduleOptions(order: Pick<OrderRecord, 'termMonths' | 'aprBps'>): ScheduleOptions {
  return {
    ...(order.termMonths === undefined ? {} : { termMonths: order.termMonths }),
    ...(order.aprBps === undefined ? {} : { aprBps: order.aprBps }),
  };
}

const CONCURRENT_UPDATE = 'The order was changed by another request meanwhile; retry this request.';
/** A lost optimistic race: nothing was written; the same request (same Idempotency-Key) may be retried. */
const concurrentUpdate = () => conflict('concurrent_update', CONCURRENT_UPDATE);

const committing = (commit: Commit, items: TransactItem[], result: HttpResult): Promise<HttpResult> =>
  conflictOnCancel(() => commit(items, result), CONCURRENT_UPDATE);

/**
 * The status money movements lead to, from the order's amounts and installments after a change:
 * - refunded: everything captured was refunded (the rest of the authorization is released);
 * - paid_off: nothing left to collect and nothing more can be captured;
 * - in_arrears: an installment failed and will not be retried automatically (no `due` index entry);
 * - otherwise captured (or still authorized).
 */
export function nextOrderStatus(
  order: OrderRecord,
  installments: InstallmentRecord[],
  now: Date,
): OrderStatus {
  if (order.capturedAmount === 0) return order.status;
  if (order.refundedAmount >= order.capturedAmount) return 'refunded';
  const capturable =
    remainingAuthorized(order) > 0 && now.getTime() < Date.parse(order.authorizationExpiresAt);
  if (order.outstandingAmount === 0 && !capturable) return 'paid_off';
  if (installments.some((i) => i.status === 'failed' && !i.duePk)) return 'in_arrears';
  return 'captured';
}

/** `to` when the state machine allows it from the order's status, else the status it has. */
function reachable(order: OrderRecord, to: OrderStatus): OrderStatus {
  return canTransition(order.status, to) ? to : order.status;
}

// ---------------------------------------------------------------------------------------------
// Create
// ---------------------------------------------------------------------------------------------

/**
 * Turns the shopper's approval into an `authorized` order. Reads: the approval (one GetItem).
 * Writes, in ONE transaction with the idempotency record: the approval consumed (unused, unexpired,
 * this merchant's), the session completed (one order per session), the order, its expiry marker,
 * the shopper's order link and the `order.authorized` event. No KMS: the card is referenced by token.
 */
export async function createOrder(
  principal: MerchantPrincipal,
  authorizationToken: string,
  commit: Commit,
  clock: Clock,
): Promise<HttpResult> {
  const invalid = () =>
    unprocessable(
      'authorization_token_invalid',
      'The authorizationToken is not valid for this merchant.',
      'authorizationToken',
    );
  const used = () =>
    unprocessable(
      'authorization_token_used',
      'The authorizationToken was already used.',
      'authorizationToken',
    );
  const expired = () =>
    unprocessable('authorization_token_expired', 'The authorizationToken has expired.', 'authorizationToken');

  if (!AUTHORIZATION_TOKEN.test(authorizationToken)) throw invalid();
  const now = clock.now();
  const nowMs = now.getTime();
  const at = now.toISOString();
  const tokenHash = sha256(authorizationToken);
  const approval = await getAuthorization(tokenHash);
  if (!approval || approval.merchantId !== principal.merchantId || approval.livemode !== principal.livemode) {
    throw invalid();
  }
  if (approval.status === 'used') throw used();
  if (approval.expiresAtMs <= nowMs) throw expired();

  const id = newId('order', now);
  const schedule = buildSchedule(
    approval.plan,
    approval.amount,
    approval.currency,
    now,
    scheduleOptions(approval),
  );
  const order: OrderRecord = {
    id,
    merchantId: principal.merchantId,
    livemode: principal.livemode,
    customerId: approval.customerId,
    checkoutSessionId: approval.checkoutSessionId,
    merchantReference: approval.merchantReference,
    status: 'authorized',
    amount: approval.amount,
    currency: approval.currency,
    plan: approval.plan,
    ...scheduleOptions(approval),
    cardToken: approval.cardToken,
    cardBrand: approval.cardBrand,
    cardLast4: approval.cardLast4,
    capturedAmount: 0,
    refundedAmount: 0,
    outstandingAmount: 0,
    collectedAmount: 0,
    captureCount: 0,
    authorizationExpiresAt: new Date(nowMs + AUTHORIZATION_TTL_MS).toISOString(),
    authorizationMaxExpiresAt: new Date(nowMs + AUTHORIZATION_MAX_LIFE_MS).toISOString(),
    schedulePreview: { installments: schedule.installments, disclosure: schedule.disclosure },
    version: 1,
    createdAt: at,
    updatedAt: at,
  };
  const tx = new Transaction<'approval' | 'session' | 'order'>()
    .add('approval', consumeAuthorizationItem(tokenHash, principal.merchantId, id, nowMs, at))
    .add('session', completeSessionItem(approval.checkoutSessionId, id, at))
    .add(
      'order',
      store.putOrderItem(order),
      store.putAuthExpiryItem(order),
      store.customerOrderItem(order),
      ...orderEventItems('order.authorized', order, clock),
    );
  try {
    return await commit(tx.items, {
      status: 201,
      body: toOrder({ order, captures: [], installments: [], refunds: [] }),
    });
  } catch (error) {
    const cancelled = tx.cancellation(error);
    if (!cancelled) throw error;
    // Lost to a concurrent redemption of the same token (or it lapsed this very moment).
    if (cancelled.lost('approval')) throw clock.now().getTime() >= approval.expiresAtMs ? expired() : used();
    if (cancelled.lost('session')) {
      throw unprocessable(
        'checkout_session_completed',
        'The checkout session of this authorization already has an order.',
        'authorizationToken',
      );
    }
    throw concurrentUpdate();
  }
}

// ---------------------------------------------------------------------------------------------
// Read
// ---------------------------------------------------------------------------------------------

export async function getOrder(principal: MerchantPrincipal, id: string) {
  return toOrder(await requirePartition(principal, id));
}

export async function listOrders(
  principal: MerchantPrincipal,
  query: { limit: number; startingAfter?: string | undefined },
): Promise<OrderListResponse> {
  const after = query.startingAfter
    ? await decodeCursor(principal.merchantId, query.startingAfter)
    : undefined;
  const { orders, hasMore } = await store.listMerchantOrders(principal.merchantId, query.limit, after);
  const last = orders[orders.length - 1];
  return {
    object: 'list',
    data: orders.map(toSummary),
    hasMore,
    ...(hasMore && last ? { nextCursor: await encodeCursor(principal.merchantId, last.id) } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// Capture
// ---------------------------------------------------------------------------------------------

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
 * written as `charging` (attempt 1) and charged right after the commit through the CardProcessor,
 * with the processor key `<installmentId>#1`; the outcome is recorded by a conditional write. A crash
 * between the two leaves a `charging` installment in the `due` index for collection to finish with
 * the same key. Tessera carries the shopper's credit risk: a declined first installment does not
 * undo the capture; it is reported by `installment.failed` and goes to dunning.
 */
export async function capture(
  principal: MerchantPrincipal,
  id: string,
  amount: number,
  commit: Commit,
  clock: Clock,
  processor: () => CardProcessor,
): Promise<HttpResult> {
  const order = await requireOrder(principal, id);
  const now = clock.now();
  const nowMs = now.getTime();
  const at = now.toISOString();
  const today = isoDay(now);
  const to: OrderStatus = order.status === 'in_arrears' ? 'in_arrears' : 'captured';
  if (!canTransition(order.status, to)) {
    throw unprocessable('order_not_capturable', `The order is ${order.status}; it cannot be captured.`);
  }
  if (order.authorizationReleased || nowMs >= Date.parse(order.authorizationExpiresAt)) {
    throw unprocessable(
      'authorization_expired',
      'The authorization has expired; nothing more can be captured.',
    );
  }
  const remaining = order.amount - order.capturedAmount;
  if (amount > remaining) {
    throw unprocessable(
      'capture_exceeds_authorization',
      `The capture exceeds the ${remaining} minor units left to capture.`,
      'amount',
    );
  }
  if (order.captureCount >= MAX_CAPTURES_PER_ORDER) {
    throw unprocessable('too_many_captures', `An order takes at most ${MAX_CAPTURES_PER_ORDER} captures.`);
  }

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
      version: 1,
      createdAt: at,
      updatedAt: at,
      // Indexed for collection on its due day; a `charging` one stays findable if we crash mid-charge.
      ...store.dueIndex(installmentId, planned.dueDate),
    };
  });
  const captureRecord: CaptureRecord = {
    id: captureId,
    orderId: order.id,
    amount,
    currency: order.currency,
    refundedAmount: 0,
    disclosure: schedule.disclosure,
    installmentIds: installments.map((i) => i.id),
    createdAt: at,
  };
  const after: OrderRecord = {
    ...order,
    status: to,
    capturedAmount: order.capturedAmount + amount,
    // What the new installments owe, interest included (monthly plans), not only the principal.
    outstandingAmount: order.outstandingAmount + installments.reduce((sum, i) => sum + i.amount, 0),
    captureCount: order.captureCount + 1,
    version: order.version + 1,
    updatedAt: at,
  };
  const items = [
    store.orderTransitionItem(
      order,
      to,
      {
        capturedAmount: after.capturedAmount,
        outstandingAmount: after.outstandingAmount,
        captureCount: after.captureCount,
      },
      at,
      // Redundant with the version, and deliberate: the authorized amount is the invariant.
      { condition: 'capturedAmount = :prevCaptured', values: { ':prevCaptured': order.capturedAmount } },
    ),
    store.putCaptureItem(captureRecord),
    ...installments.map(store.putInstallmentItem),
    // Fully captured: no authorization left to lapse.
    ...(after.capturedAmount === after.amount ? [store.deleteAuthExpiryItem(order.id)] : []),
    ...orderEventItems('order.captured', after, clock),
  ];
  const result = await committing(commit, items, {
    status: 201,
    body: toCapture(captureRecord, installments),
  });

  // After the commit nothing may fail the request: the capture stands whatever the card says.
  for (const installment of installments.filter((i) => i.status === 'charging')) {
    try {
      await chargeInstallment(order.id, installment.id, processor(), clock);
    } catch (error) {
      logger.error('first installment charge not recorded; collection will finish it', {
        orderId: order.id,
        installmentId: installment.id,
        error: error as Error,
      });
    }
  }
  return result;
}

/**
 * Charges an installment that is `charging` with the processor key `<id>#<attempt>` and records the
 * outcome. Safe to repeat: the processor returns the first outcome for a key, and the outcome is
 * written only while the installment is still `charging` at that attempt. Collection may reuse it.
 */
export async function chargeInstallment(
  orderId: string,
  installmentId: string,
  processor: CardProcessor,
  clock: Clock,
): Promise<'recorded' | 'stale'> {
  const partition = await store.getOrderPartition(orderId);
  const installment = partition?.installments.find((i) => i.id === installmentId);
  if (installment?.status !== 'charging') return 'stale';
  const result = await processor.charge({
    cardToken: installment.cardToken,
    customerId: installment.customerId,
    amount: installment.amount,
    currency: installment.currency,
    idempotencyKey: `${installment.id}#${installment.attempts}`,
    reason: `installment ${installment.id} of order ${orderId}`,
  });
  return recordChargeOutcome(orderId, installmentId, installment.attempts, result, clock);
}

/**
 * Records a charge outcome: installment `charging -> paid | failed` (conditional on the attempt), the
 * order's totals and status, and `installment.paid` / `installment.failed`, in one transaction. A soft
 * decline goes back in the `due` index for the next day (dunning takes it from there); a hard decline
 * leaves the index and puts the order in arrears. Then settles the order (`order.paid_off`).
 */
export async function recordChargeOutcome(
  orderId: string,
  installmentId: string,
  attempt: number,
  result: ChargeResult,
  clock: Clock,
): Promise<'recorded' | 'stale'> {
  for (let round = 0; round < OPTIMISTIC_RETRIES; round += 1) {
    const partition = await store.getOrderPartition(orderId);
    const installment = partition?.installments.find((i) => i.id === installmentId);
    if (!partition || !installment || installment.status !== 'charging' || installment.attempts !== attempt) {
      return 'stale';
    }
    const { order } = partition;
    const now = clock.now();
    const at = now.toISOString();
    let changed: InstallmentRecord;
    let set: Record<string, unknown>;
    let remove: string[];
    if (result.status === 'succeeded') {
      set = { status: 'paid', paidAt: at, chargeId: result.chargeId };
      remove = ['duePk', 'dueSk', 'chargingSince', 'failureCode', 'hardDecline'];
      const {
        duePk: _p,
        dueSk: _s,
        chargingSince: _c,
        failureCode: _f,
        hardDecline: _h,
        ...rest
      } = installment;
      changed = { ...rest, status: 'paid', paidAt: at, chargeId: result.chargeId };
    } else if (result.hard) {
      set = { status: 'failed', failureCode: result.code, hardDecline: true };
      remove = ['duePk', 'dueSk', 'chargingSince'];
      const { duePk: _p, dueSk: _s, chargingSince: _c, ...rest } = installment;
      changed = { ...rest, status: 'failed', failureCode: result.code, hardDecline: true };
    } else {
      // Dunning: the next day of the retry schedule, or (retries spent) out of the index: arrears.
      const retryDay = nextRetryDay(installment, now);
      const index = retryDay ? store.dueIndex(installment.id, retryDay) : undefined;
      set = { status: 'failed', failureCode: result.code, hardDecline: false, ...index };
      remove = index ? ['chargingSince'] : ['duePk', 'dueSk', 'chargingSince'];
      const { chargingSince: _c, duePk: _p, dueSk: _s, ...rest } = installment;
      changed = { ...rest, status: 'failed', failureCode: result.code, hardDecline: false, ...index };
    }
    changed = { ...changed, version: installment.version + 1, updatedAt: at };
    const paid = result.status === 'succeeded' ? installment.amount : 0;
    const totals = {
      outstandingAmount: order.outstandingAmount - paid,
      collectedAmount: order.collectedAmount + paid,
    };
    const installmentsAfter = partition.installments.map((i) => (i.id === installmentId ? changed : i));
    const provisional = { ...order, ...totals };
    // paid_off and in_arrears are reached by `settleOrder`, so that each carries its own event.
    let status = nextOrderStatus(provisional, installmentsAfter, now);
    if (status === 'paid_off' || status === 'refunded' || status === 'in_arrears') status = order.status;
    status = reachable(order, status);
    const after: OrderRecord = { ...provisional, status, version: order.version + 1, updatedAt: at };
    const tx = new Transaction<'installment' | 'order'>().add(
      'installment',
      store.installmentUpdateItem(installment, set, at, remove),
    );
    tx.add(
      'order',
      ...(canTransition(order.status, status)
        ? [
            store.orderTransitionItem(order, status, totals, at),
            ...orderEventItems(
              result.status === 'succeeded' ? 'installment.paid' : 'installment.failed',
              after,
              clock,
              changed,
            ),
          ]
        : []),
    );
    try {
      await writeTransaction(tx.items);
    } catch (error) {
      const cancelled = tx.cancellation(error);
      if (!cancelled) throw error;
      if (cancelled.lost('installment')) return 'stale';
      continue;
    }
    await settleOrder(orderId, clock);
    return 'recorded';
  }
  throw concurrentUpdate();
}

/**
 * Moves an order to `paid_off` when nothing is left to collect and nothing more can be captured, or
 * to `in_arrears` when an installment failed for good, each with its own event (`order.paid_off`,
 * `order.in_arrears`). Idempotent; collection calls it after each recorded charge outcome.
 */
export async function settleOrder(orderId: string, clock: Clock): Promise<OrderStatus | undefined> {
  for (let round = 0; round < OPTIMISTIC_RETRIES; round += 1) {
    const partition = await store.getOrderPartition(orderId);
    if (!partition) return undefined;
    const { order } = partition;
    const now = clock.now();
    if (order.status === 'paid_off') return order.status;
    const to = nextOrderStatus(order, partition.installments, now);
    if (
      (to !== 'paid_off' && to !== 'in_arrears') ||
      to === order.status ||
      !canTransition(order.status, to)
    ) {
      return order.status;
    }
    const at = now.toISOString();
    const after: OrderRecord = { ...order, status: to, version: order.version + 1, updatedAt: at };
    try {
      await writeTransaction([
        store.orderTransitionItem(order, to, {}, at),
        ...(to === 'paid_off' ? [store.deleteAuthExpiryItem(order.id)] : []),
        ...orderEventItems(`order.${to}`, after, clock),
      ]);
      return to;
    } catch (error) {
      if (!isCancellation(error)) throw error;
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Refund
// ---------------------------------------------------------------------------------------------

interface CaptureRefund {
  capture: CaptureRecord;
  installments: InstallmentRecord[];
  result: RefundResult;
  amount: number;
}

/**
 * Plans a refund over the captures: the named one, or every capture from the latest backwards.
 * Within a capture, `applyRefund` reduces what is still owed from the last installment backwards and
 * returns collected money only once nothing remains to reduce. Throws 422 beyond what can be
 * refunded, 409 when only an installment being charged right now would make it fit.
 */
export function planRefund(partition: OrderPartition, amount: number, captureId?: string): CaptureRefund[] {
  const targets = captureId
    ? partition.captures.filter((c) => c.id === captureId)
    : [...partition.captures].reverse();
  const plan: CaptureRefund[] = [];
  let remaining = amount;
  let inFlight = 0;
  for (const capture of targets) {
    const installments = partition.installments
      .filter((i) => i.captureId === capture.id)
      .sort((a, b) => a.seq - b.seq);
    const refundable = installments.map((i) => ({
      id: i.id,
      amount: i.amount,
      status: i.status,
      refunded: i.refunded,
    }));
    const capacity = refundCapacity(refundable);
    inFlight += capacity.inFlight;
    const take = Math.min(remaining, capacity.reducible + capacity.refundable);
    if (take === 0) continue;
    plan.push({ capture, installments, result: applyRefund(refundable, take), amount: take });
    remaining -= take;
    if (remaining === 0) break;
  }
  if (remaining > 0) {
    if (remaining <= inFlight) {
      throw conflict(
        'installment_charging',
        'An installment is being charged; retry the refund once it settles.',
      );
    }
    throw unprocessable(
      'refund_exceeds_refundable',
      `The refund exceeds the refundable amount of ${amount - remaining} minor units${captureId ? ' of this capture' : ''}.`,
      'amount',
    );
  }
  return plan;
}

export async function refund(
  principal: MerchantPrincipal,
  id: string,
  body: { amount: number; captureId?: string | undefined },
  commit: Commit,
  clock: Clock,
  processor: () => CardProcessor,
): Promise<HttpResult> {
  const partition = await requirePartition(principal, id);
  const { order } = partition;
  if (order.capturedAmount === 0) {
    throw unprocessable('nothing_to_refund', 'Nothing was captured on this order; cancel it instead.');
  }
  if (!canTransition(order.status, 'refunded')) {
    throw unprocessable('order_not_refundable', `The order is ${order.status}; it cannot be refunded.`);
  }
  if (body.captureId && !partition.captures.some((c) => c.id === body.captureId)) {
    throw notFound(`No such capture on this order: ${body.captureId}.`, 'captureId');
  }
  const plan = planRefund(partition, body.amount, body.captureId);

  const now = clock.now();
  const at = now.toISOString();
  const refundId = newId('refund', now);
  const lines: RefundRecord['lines'] = [];
  const cardRefunds: RefundRecord['cardRefunds'] = [];
  const items: TransactItem[] = [];
  let reduced = 0;
  let returned = 0;
  const changed = new Map<string, InstallmentRecord>();
  for (const part of plan) {
    part.installments.forEach((installment, index) => {
      const line = part.result.lines[index];
      const next = part.result.installments[index];
      if (!line || !next) return;
      lines.push({ captureId: part.capture.id, ...line });
      if (line.reducedBy === 0 && line.refundedBy === 0) return;
      const set: Record<string, unknown> = { amount: next.amount, refunded: next.refunded ?? 0 };
      const remove: string[] = [];
      // Reduced to nothing: there is nothing left to collect, so it leaves the collection index.
      if (line.reducedBy > 0 && next.amount === 0) {
        set.status = 'cancelled';
        remove.push('duePk', 'dueSk');
      }
      items.push(store.installmentUpdateItem(installment, set, at, remove));
      const { duePk: _p, dueSk: _s, ...kept } = installment;
      changed.set(installment.id, {
        ...(remove.length ? kept : installment),
        amount: next.amount,
        refunded: next.refunded ?? 0,
        ...(set.status === 'cancelled' ? { status: 'cancelled' as const } : {}),
      });
      if (line.refundedBy > 0) {
        cardRefunds.push({
          installmentId: installment.id,
          chargeId: installment.chargeId ?? '',
          amount: line.refundedBy,
          status: 'pending',
        });
      }
    });
    items.push(store.captureRefundedItem(part.capture, part.capture.refundedAmount + part.amount));
    reduced += part.result.reduced;
    returned += part.result.refunded;
  }

  const totals = {
    refundedAmount: order.refundedAmount + body.amount,
    outstandingAmount: order.outstandingAmount - reduced,
  };
  const fullyRefunded = totals.refundedAmount >= order.capturedAmount;
  // A reduced-away failed installment may clear arrears; paid_off comes from settleOrder (own event).
  const installmentsAfter = partition.installments.map((i) => changed.get(i.id) ?? i);
  let to = nextOrderStatus({ ...order, ...totals }, installmentsAfter, now);
  if (to === 'paid_off') to = order.status;
  to = reachable(order, to);
  const after: OrderRecord = {
    ...order,
    ...totals,
    status: to,
    ...(fullyRefunded ? { authorizationReleased: true } : {}),
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
    createdAt: at,
  };
  items.unshift(
    store.orderTransitionItem(
      order,
      to,
      { ...totals, ...(fullyRefunded ? { authorizationReleased: true } : {}) },
      at,
    ),
  );
  items.push(
    store.putRefundItem(refundRecord),
    // A full refund closes the order: what was not captured is released.
    ...(fullyRefunded ? [store.deleteAuthExpiryItem(order.id)] : []),
    ...orderEventItems('order.refunded', after, clock),
  );
  if (items.length > MAX_REFUND_TRANSACTION_ITEMS) {
    throw unprocessable(
      'refund_too_large',
      'This refund spans too many installments for one step; refund each capture separately (captureId).',
      'captureId',
    );
  }
  const result = await committing(commit, items, { status: 201, body: toRefund(refundRecord) });

  // After the commit nothing may fail the request: the refund stands; card returns are retried by key.
  try {
    await returnToCard(refundRecord, processor());
    await settleOrder(order.id, clock);
  } catch (error) {
    logger.error('refund post-processing incomplete', { orderId: order.id, refundId, error: error as Error });
  }
  return result;
}

/** Sends collected money back through the processor (key `<refundId>#<installmentId>`) and records it. */
async function returnToCard(refundRecord: RefundRecord, processor: CardProcessor): Promise<void> {
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
      idempotencyKey: `${refundRecord.id}#${line.installmentId}`,
    });
    outcomes.push({ ...line, status: outcome.status });
  }
  await store.setCardRefundOutcomes(refundRecord.orderId, refundRecord.id, outcomes);
}

// ---------------------------------------------------------------------------------------------
// Cancel and extend
// ---------------------------------------------------------------------------------------------

/** Cancels an order with nothing captured (its authorization is released). */
export async function cancel(
  principal: MerchantPrincipal,
  id: string,
  commit: Commit,
  clock: Clock,
): Promise<HttpResult> {
  const order = await requireOrder(principal, id);
  if (!canTransition(order.status, 'cancelled')) {
    throw unprocessable(
      'order_not_cancellable',
      order.capturedAmount > 0
        ? 'The order has captures and cannot be cancelled; refund it instead.'
        : `The order is ${order.status} and cannot be cancelled.`,
    );
  }
  const at = clock.now().toISOString();
  const after: OrderRecord = { ...order, status: 'cancelled', version: order.version + 1, updatedAt: at };
  return committing(
    commit,
    [
      store.orderTransitionItem(order, 'cancelled', {}, at, {
        condition: 'capturedAmount = :zero',
        values: { ':zero': 0 },
      }),
      store.deleteAuthExpiryItem(order.id),
      ...orderEventItems('order.cancelled', after, clock),
    ],
    { status: 200, body: toSummary(after) },
  );
}

/** Extends the authorization by 28 days, never beyond 180 days after the order was created. */
export async function extendAuthorization(
  principal: MerchantPrincipal,
  id: string,
  commit: Commit,
  clock: Clock,
): Promise<HttpResult> {
  const order = await requireOrder(principal, id);
  const nowMs = clock.now().getTime();
  if (remainingAuthorized(order) === 0) {
    throw unprocessable(
      'authorization_not_extendable',
      `The order is ${order.status} with nothing left to capture; there is no authorization to extend.`,
    );
  }
  const expiresMs = Date.parse(order.authorizationExpiresAt);
  if (nowMs >= expiresMs) {
    throw unprocessable('authorization_expired', 'The authorization has already expired.');
  }
  const nextMs = Math.min(
    expiresMs + AUTHORIZATION_EXTENSION_MS,
    Date.parse(order.authorizationMaxExpiresAt),
  );
  if (nextMs <= expiresMs) {
    throw unprocessable(
      'authorization_extension_limit',
      'The authorization already runs to its limit of 180 days after the order was created.',
    );
  }
  const at = new Date(nowMs).toISOString();
  const after: OrderRecord = {
    ...order,
    authorizationExpiresAt: new Date(nextMs).toISOString(),
    version: order.version + 1,
    updatedAt: at,
  };
  // No webhook: the event catalogue has no extension event (the sequence simply skips a number).
  return committing(
    commit,
    [
      store.orderTransitionItem(
        order,
        order.status,
        { authorizationExpiresAt: after.authorizationExpiresAt },
        at,
      ),
      store.putAuthExpiryItem(after),
    ],
    { status: 200, body: toSummary(after) },
  );
}
