/**
 * A customer's credit exposure, for the credit limit that caps their checkout authorizations
 * (functions/credit/limit.ts; issue 11: "the limit then caps that customer's checkout
 * authorizations" — a customer with a 1,000.00 limit and 800.00 outstanding cannot authorize
 * 300.00). Read-only: one Query of the customer's order links and a BatchGetItem of those orders (a
 * shopper has few; never a Scan).
 */
import type { CurrencyCode } from '../lib/money.ts';
import { customerOrderIds, getOrders } from './me-store.ts';
import type { OrderRecord } from './model.ts';
import { remainingAuthorized } from './state.ts';

export interface CreditExposure {
  /**
   * Minor units of `currency` the customer owes or may still be charged on their open orders: what
   * the unpaid installments owe (interest and fees included) plus what may still be captured of an
   * unexpired authorization.
   */
  amount: number;
  /** The checkout sessions every order of the customer came from (any status, any currency). */
  checkoutSessionIds: Set<string>;
}

/** One order's part of the exposure at `now` (0 for a closed order or another currency). */
export function orderExposure(order: OrderRecord, currency: CurrencyCode, now: Date): number {
  if (order.currency !== currency) return 0;
  const capturable =
    now.getTime() < Date.parse(order.authorizationExpiresAt) ? remainingAuthorized(order) : 0;
  const open = order.status === 'authorized' || order.status === 'captured' || order.status === 'in_arrears';
  return open ? order.outstandingAmount + capturable : 0;
}

export async function creditExposure(
  customerId: string,
  currency: CurrencyCode,
  now: Date,
): Promise<CreditExposure> {
  const orders = await getOrders(await customerOrderIds(customerId));
  return {
    amount: orders.reduce((sum, order) => sum + orderExposure(order, currency, now), 0),
    checkoutSessionIds: new Set(orders.map((order) => order.checkoutSessionId)),
  };
}
