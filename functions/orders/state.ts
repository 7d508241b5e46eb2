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
 * A self-transition is a change that keeps the status (it still bumps `version`).
 */
export const ORDER_STATUSES = [
  'authorized',
  'captured',
  'in_arrears',
  'paid_off',
  'refunded',
  'cancelled',
  'expired',
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

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
