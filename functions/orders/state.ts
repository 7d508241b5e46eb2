/**
 * THE order state machine: one table of allowed transitions. Every write that changes an order is
 * conditioned on the order's `version` AND on its current status being one this table allows to
 * move to the new status, so a late or duplicate event can never move an order backwards or reopen
 * a finished one.
 *
 *   authorized  -> authorized (extension, expiry notice) | captured | cancelled | expired
 *   captured    -> captured (more captures, partial refunds, installments) | in_arrears | paid_off | refunded
 *   in_arrears  -> in_arrears | captured (arrears cleared) | paid_off | refunded
 *   paid_off    -> paid_off (partial refund of collected money) | refunded
 *   refunded, cancelled, expired: terminal
 *
 * A self-transition is a change that keeps the status (it still bumps `version`). The status money
 * movements lead to is computed here too (`nextOrderStatus`), and nowhere else.
 */
import { type InstallmentRecord, ORDER_STATUSES, type OrderRecord, type OrderStatus } from './model.ts';

export { ORDER_STATUSES, type OrderStatus };

export const TRANSITIONS: Readonly<Record<OrderStatus, readonly OrderStatus[]>> = {
  authorized: ['authorized', 'captured', 'cancelled', 'expired'],
  captured: ['captured', 'in_arrears', 'paid_off', 'refunded'],
  in_arrears: ['in_arrears', 'captured', 'paid_off', 'refunded'],
  paid_off: ['paid_off', 'refunded'],
  refunded: [],
  cancelled: [],
  expired: [],
};

export function canTransition(from: OrderStatus, to: OrderStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

export function isTerminal(status: OrderStatus): boolean {
  return TRANSITIONS[status].length === 0;
}

/** The statuses from which `to` may be reached: the condition a write puts on the stored status. */
export function sourcesOf(to: OrderStatus): OrderStatus[] {
  return ORDER_STATUSES.filter((from) => canTransition(from, to));
}

/**
 * The condition for an order write moving to `to`: the version read AND a status that may move
 * there. Both are checked by DynamoDB at write time, so a decision taken on a stale read fails.
 */
export function transitionCondition(
  to: OrderStatus,
  expectedVersion: number,
): { ConditionExpression: string; names: Record<string, string>; values: Record<string, unknown> } {
  const sources = sourcesOf(to);
  if (sources.length === 0) throw new Error(`no status may move to ${to}`);
  const values: Record<string, unknown> = { ':expectedVersion': expectedVersion };
  const placeholders = sources.map((status, index) => {
    values[`:from${index}`] = status;
    return `:from${index}`;
  });
  return {
    ConditionExpression: `#version = :expectedVersion AND #status IN (${placeholders.join(', ')})`,
    names: { '#version': 'version', '#status': 'status' },
    values,
  };
}

/** What may still be captured: nothing once the authorization lapsed or the order is closed. */
export function remainingAuthorized(order: OrderRecord): number {
  if (order.authorizationReleased) return 0;
  if (order.status !== 'authorized' && order.status !== 'captured' && order.status !== 'in_arrears') return 0;
  return order.amount - order.capturedAmount;
}

/**
 * The status money movements lead to, from the order's amounts and installments after a change:
 * - refunded: everything captured was refunded (the rest of the authorization is released);
 * - paid_off: nothing left to collect and nothing more can be captured;
 * - in_arrears: an installment failed and will not be retried automatically (no `due` index entry,
 *   or one for its late fee only);
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
  // Parked in the index for its late fee only (`lateFeeOn`) is not a retry.
  // Held out of the index by a dispute (`disputeHeldDay`) is not a retry spent either.
  const outOfCollection = (i: InstallmentRecord) => (!i.duePk && !i.disputeHeldDay) || i.lateFeeOn;
  if (installments.some((i) => i.status === 'failed' && outOfCollection(i))) return 'in_arrears';
  return 'captured';
}

/** `to` when the state machine allows it from the order's status, else the status it has. */
function reachable(order: OrderRecord, to: OrderStatus): OrderStatus {
  return canTransition(order.status, to) ? to : order.status;
}

/** A capture keeps an order in arrears; otherwise it is captured. */
export function statusAfterCapture(order: OrderRecord): OrderStatus {
  return order.status === 'in_arrears' ? 'in_arrears' : 'captured';
}

/**
 * The status after a charge outcome or a refund (`after`: the order with its new totals). `paid_off`
 * and (after a charge) `in_arrears` are reached only by settling, each with its own event, and
 * `refunded` only by a refund, so a change never takes them here; a reduced-away failed installment
 * may clear arrears.
 */
export function statusAfter(
  change: 'charge' | 'refund',
  order: OrderRecord,
  after: OrderRecord,
  installments: InstallmentRecord[],
  now: Date,
): OrderStatus {
  const next = nextOrderStatus(after, installments, now);
  const held = next === 'paid_off' || (change === 'charge' && (next === 'refunded' || next === 'in_arrears'));
  return reachable(order, held ? order.status : next);
}
