/**
 * An order's life outside money movements: cancel, extend the authorization, let it lapse (the
 * expiry sweep's step), and settle as `paid_off`.
 */
import type { Clock } from '../lib/clock.ts';
import { DomainError } from '../lib/errors.ts';
import {
  isCancellation,
  type TransactItem,
  writeTransaction,
  writeUnlessCancelled,
} from '../lib/transactions.ts';
import type { Commit } from '../lib/use-case.ts';
import type { WebhookEventType } from '../webhooks/events.ts';
import { orderEventItems } from './events.ts';
import type { OrderRecord, OrderStatus } from './model.ts';
import { AUTHORIZATION_EXTENSION_MS } from './policy.ts';
import type { OrderSummaryResponse } from './schema.ts';
import { committing, type MerchantPrincipal, OPTIMISTIC_RETRIES, requireOrder } from './shared.ts';
import { canTransition, nextOrderStatus, remainingAuthorized } from './state.ts';
import * as store from './store.ts';
import { toSummary } from './view.ts';

const refused = (code: string, message: string) => new DomainError('rejected', code, message);

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

/**
 * Cancels an order with nothing captured (its authorization is released). Refusals: rejected
 * `order_not_cancellable`; not_found; conflict `concurrent_update`.
 */
export async function cancel(
  principal: MerchantPrincipal,
  id: string,
  commit: Commit<OrderSummaryResponse>,
  clock: Clock,
): Promise<OrderSummaryResponse> {
  const order = await requireOrder(principal, id);
  if (!canTransition(order.status, 'cancelled')) {
    throw refused(
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
    toSummary(after),
  );
}

/**
 * Extends the authorization by 28 days, never beyond 180 days after the order was created.
 * Refusals (rejected): `authorization_not_extendable`, `authorization_expired`,
 * `authorization_extension_limit`; not_found; conflict `concurrent_update`.
 */
export async function extendAuthorization(
  principal: MerchantPrincipal,
  id: string,
  commit: Commit<OrderSummaryResponse>,
  clock: Clock,
): Promise<OrderSummaryResponse> {
  const order = await requireOrder(principal, id);
  const nowMs = clock.now().getTime();
  if (remainingAuthorized(order) === 0) {
    throw refused(
      'authorization_not_extendable',
      `The order is ${order.status} with nothing left to capture; there is no authorization to extend.`,
    );
  }
  const expiresMs = Date.parse(order.authorizationExpiresAt);
  if (nowMs >= expiresMs) throw refused('authorization_expired', 'The authorization has already expired.');
  const nextMs = Math.min(
    expiresMs + AUTHORIZATION_EXTENSION_MS,
    Date.parse(order.authorizationMaxExpiresAt),
  );
  if (nextMs <= expiresMs) {
    throw refused(
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
    toSummary(after),
  );
}

/** What the expiry sweep did with one marker. */
export type ExpiryOutcome = 'expired' | 'released' | 'expiring' | 'done' | 'skipped' | 'pending';

/** The write is conditioned on the expiry read: an extension meanwhile makes it lose. */
const sameExpiry = (order: OrderRecord) => ({
  condition: 'authorizationExpiresAt = :expiresAt',
  values: { ':expiresAt': order.authorizationExpiresAt },
});

/**
 * One sweep change to the order (status `to`, plus `set`), conditioned on the expiry read, with
 * `extra` items and the `event`; false when it lost a race.
 */
async function sweepChange(
  order: OrderRecord,
  change: { to: OrderStatus; set: Partial<OrderRecord>; event: WebhookEventType; extra?: TransactItem[] },
  now: Date,
  clock: Clock,
): Promise<boolean> {
  const at = now.toISOString();
  const after: OrderRecord = {
    ...order,
    status: change.to,
    ...change.set,
    version: order.version + 1,
    updatedAt: at,
  };
  return writeUnlessCancelled([
    store.orderTransitionItem(order, change.to, change.set, at, sameExpiry(order)),
    ...(change.extra ?? []),
    ...orderEventItems(change.event, after, clock),
  ]);
}

/** A lapsed authorization: nothing captured expires the order; otherwise the rest is released. */
async function lapse(order: OrderRecord, now: Date, clock: Clock): Promise<ExpiryOutcome> {
  const expire = order.status === 'authorized';
  const ok = await sweepChange(
    order,
    {
      to: expire ? 'expired' : order.status,
      set: expire ? {} : { authorizationReleased: true },
      event: 'order.authorization_expired',
      extra: [store.deleteAuthExpiryItem(order.id)],
    },
    now,
    clock,
  );
  if (!ok) return 'skipped';
  if (!expire) await settleOrder(order.id, clock);
  return expire ? 'expired' : 'released';
}

/** `order.authorization_expiring`, once per expiry instant. */
async function announceExpiry(order: OrderRecord, now: Date, clock: Clock): Promise<ExpiryOutcome> {
  if (order.expiringNotifiedFor === order.authorizationExpiresAt) return 'pending';
  const ok = await sweepChange(
    order,
    {
      to: order.status,
      set: { expiringNotifiedFor: order.authorizationExpiresAt },
      event: 'order.authorization_expiring',
    },
    now,
    clock,
  );
  return ok ? 'expiring' : 'skipped';
}

/**
 * One step of the expiry sweep, for one `AUTHEXP` marker: drops a marker with nothing left to
 * lapse, lapses an expired authorization, or announces one lapsing soon. Every change is a
 * conditional write on the order version; a lost race is `skipped` and left for the next run.
 */
export async function expireAuthorization(
  marker: { orderId: string; expiresAt: string },
  now: Date,
  clock: Clock,
): Promise<ExpiryOutcome> {
  const order = await store.getOrder(marker.orderId);
  if (!order) {
    await writeTransaction([store.deleteAuthExpiryItem(marker.orderId)]);
    return 'done';
  }
  // The index is eventually consistent: a marker read before an extension is simply not due yet.
  if (order.authorizationExpiresAt !== marker.expiresAt) return 'pending';
  if (remainingAuthorized(order) === 0) {
    await writeTransaction([store.deleteAuthExpiryItem(order.id)]);
    return 'done';
  }
  if (Date.parse(order.authorizationExpiresAt) <= now.getTime()) return lapse(order, now, clock);
  return announceExpiry(order, now, clock);
}
