/**
 * What the vault may ask orders (the vault's handler wires it into card deletion through the orders
 * face, ./collection-face.ts): which of a customer's open orders a card pays.
 */

import { customerOrderIds, getOrders } from './me-store.ts';
import type { OrderStatus } from './model.ts';

/** Orders that may still charge their card: authorized (captures to come), captured, in arrears. */
const OPEN: ReadonlySet<OrderStatus> = new Set(['authorized', 'captured', 'in_arrears']);

/**
 * The ids of the customer's open orders that `cardToken` pays, oldest first (empty when none).
 * Reads the customer's order links and their orders (one Query, one BatchGetItem per 100 orders).
 */
export async function openOrdersPaidBy(customerId: string, cardToken: string): Promise<string[]> {
  const orders = await getOrders(await customerOrderIds(customerId));
  return orders.filter((o) => OPEN.has(o.status) && o.cardToken === cardToken).map((o) => o.id);
}
