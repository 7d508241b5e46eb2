/**
 * Updating an order (Klarna OM "update order amount and lines", "update merchant references"): the
 * merchant reduces the authorized amount (an item out of stock), replaces the lines, corrects the
 * addresses or changes its merchantReference. An increase is refused: more money needs the
 * shopper's fresh approval, which only a new checkout gives.
 */
import { buildSchedule } from '../installments/terms.ts';
import type { Clock } from '../lib/clock.ts';
import { type CodeOfKind, DomainError } from '../lib/errors.ts';
import { orderDataOf, orderDataProblem } from '../lib/order-lines.ts';
import type { Commit } from '../lib/use-case.ts';
import { orderEventItems } from './events.ts';
import { settleOrder } from './lifecycle.ts';
import { orderReferenceItem } from './list-store.ts';
import type { UpdateOrderBody } from './manage-schema.ts';
import type { OrderPartition, OrderRecord } from './model.ts';
import type { OrderResponse } from './schema.ts';
import { committing, type MerchantPrincipal, requirePartition, scheduleOptions } from './shared.ts';
import { isTerminal, remainingAuthorized } from './state.ts';
import * as store from './store.ts';
import { toOrder } from './view.ts';

const refused = (code: CodeOfKind<'rejected'>, message: string, param?: string) =>
  new DomainError('rejected', code, message, param);

/** Refuses what the order cannot take: a stale version, a closed order, an increase, a cut below captures. */
function checkUpdate(order: OrderRecord, body: UpdateOrderBody, nowMs: number): void {
  if (body.version !== undefined && body.version !== order.version) {
    throw new DomainError(
      'conflict',
      'order_version_mismatch',
      `The order is at version ${order.version}, not ${body.version}; read it again.`,
    );
  }
  if (isTerminal(order.status)) throw refused('order_not_updatable', `The order is ${order.status}.`);
  const changesAuthorization = body.amount !== undefined || body.lines !== undefined;
  const open = remainingAuthorized(order) > 0 && nowMs < Date.parse(order.authorizationExpiresAt);
  if (changesAuthorization && !open) {
    throw refused(
      'order_not_updatable',
      'The authorization is no longer open (fully captured, released or expired); its amount and lines cannot change.',
      body.amount !== undefined ? 'amount' : 'lines',
    );
  }
  if (body.amount === undefined) return;
  if (body.amount > order.amount) {
    throw refused(
      'authorization_increase_not_allowed',
      `The amount can only be reduced (it is ${order.amount}); a higher amount needs a new checkout.`,
      'amount',
    );
  }
  if (body.amount < order.capturedAmount) {
    throw refused(
      'amount_below_captured',
      `${order.capturedAmount} minor units are captured already.`,
      'amount',
    );
  }
}

/** The order after the update (not yet versioned), with its data checked against the amount. */
function updatedOrder(order: OrderRecord, body: UpdateOrderBody): OrderRecord {
  const amount = body.amount ?? order.amount;
  const { version: _v, amount: _a, merchantReference, ...data } = body;
  const next: OrderRecord = {
    ...order,
    ...orderDataOf(data),
    amount,
    ...(merchantReference ? { merchantReference } : {}),
  };
  // Amount and lines must agree after the change: old lines do not fit a new amount.
  const problem = orderDataProblem(amount, next);
  if (problem) {
    const param = body.lines || problem.param !== 'amount' ? problem.param : 'lines';
    throw new DomainError('invalid', 'order_lines_mismatch', problem.message, param);
  }
  if (amount !== order.amount) {
    const schedule = buildSchedule(
      order.plan,
      amount,
      order.currency,
      new Date(order.createdAt),
      scheduleOptions(order),
    );
    next.schedulePreview = { installments: schedule.installments, disclosure: schedule.disclosure };
  }
  return next;
}

/** The order's attributes that changed, for the conditional write. */
function changedFields(before: OrderRecord, after: OrderRecord): Record<string, unknown> {
  const keys = [
    'amount',
    'merchantReference',
    'lines',
    'shippingAmount',
    'taxAmount',
    'shippingAddress',
    'billingAddress',
    'schedulePreview',
  ] as const;
  const set: Record<string, unknown> = {};
  for (const key of keys) {
    if (after[key] !== undefined && JSON.stringify(after[key]) !== JSON.stringify(before[key]))
      set[key] = after[key];
  }
  return set;
}

/**
 * Updates the merchant's order: one versioned conditional write (the version read, a status that
 * may stay, the captured total read) with `order.updated`, and the merchantReference index moved in
 * the same transaction. An amount cut to what was captured leaves nothing to capture: the expiry
 * marker goes and the order settles (`paid_off` once nothing is owed). Refusals: conflict
 * `order_version_mismatch` (the `version` sent is stale), `concurrent_update`; rejected
 * `order_not_updatable`, `authorization_increase_not_allowed`, `amount_below_captured`; invalid
 * `order_lines_mismatch` (the lines do not add up to the amount); not_found.
 */
export async function updateOrder(
  principal: MerchantPrincipal,
  id: string,
  body: UpdateOrderBody,
  commit: Commit<OrderResponse>,
  clock: Clock,
): Promise<OrderResponse> {
  const partition: OrderPartition = await requirePartition(principal, id);
  const { order } = partition;
  const now = clock.now();
  checkUpdate(order, body, now.getTime());
  const next = updatedOrder(order, body);
  const set = changedFields(order, next);
  const at = now.toISOString();
  const after: OrderRecord = { ...next, version: order.version + 1, updatedAt: at };
  const closesAuthorization = after.capturedAmount > 0 && after.amount === after.capturedAmount;
  const result = await committing(
    commit,
    [
      store.orderTransitionItem(order, order.status, set, at, {
        condition: 'capturedAmount = :prevCaptured',
        values: { ':prevCaptured': order.capturedAmount },
      }),
      ...(set.merchantReference ? [orderReferenceItem(after)] : []),
      ...(closesAuthorization ? [store.deleteAuthExpiryItem(order.id)] : []),
      ...orderEventItems('order.updated', after, clock),
    ],
    toOrder({ ...partition, order: after }),
  );
  if (closesAuthorization) await settleOrder(order.id, clock);
  return result;
}
