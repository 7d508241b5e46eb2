/** The shopper's orders: the list and one order, read with the session's customer id only. */
import { DomainError } from '../lib/errors.ts';
import { decodeCursor, encodeCursor } from './cursor.ts';
import type { MyOrderListResponse, MyOrderResponse } from './me-schema.ts';
import { listCustomerOrders } from './me-store.ts';
import { toMyOrder, toMySummary } from './me-view.ts';
import type { OrderPartition } from './model.ts';
import * as store from './store.ts';

/** The shopper signed in (`customerAccess` of the sessions face). */
export interface CustomerPrincipal {
  customerId: string;
}

/** Shoppers' Idempotency-Keys live in their own scope, apart from merchants' (ids are prefixed). */
export const customerIdempotency = { scope: (principal: CustomerPrincipal) => principal.customerId };

/**
 * The whole order, if it is the customer's: another customer's order is indistinguishable from a
 * missing one (404 `resource_missing`).
 */
export async function requireMyPartition(principal: CustomerPrincipal, id: string): Promise<OrderPartition> {
  const partition = await store.getOrderPartition(id);
  if (!partition || partition.order.customerId !== principal.customerId) {
    throw new DomainError('not_found', 'resource_missing', `No such order: ${id}.`, 'id');
  }
  return partition;
}

/** `GET /v1/me/orders/{id}`: the schedule, what was paid and what is next. */
export async function getMyOrder(principal: CustomerPrincipal, id: string): Promise<MyOrderResponse> {
  return toMyOrder(await requireMyPartition(principal, id));
}

/**
 * `GET /v1/me/orders`: the customer's orders, newest first, `limit` (1–100) at a time. The cursor is
 * HMAC-bound to the customer (./cursor.ts), and the Query is built from the session's customer id,
 * so a cursor can never reach another customer's orders; a foreign or edited one is 400
 * `invalid_cursor`.
 */
export async function listMyOrders(
  principal: CustomerPrincipal,
  query: { limit: number; startingAfter?: string | undefined },
): Promise<MyOrderListResponse> {
  const after = query.startingAfter
    ? await decodeCursor(principal.customerId, query.startingAfter)
    : undefined;
  const { orders, hasMore } = await listCustomerOrders(principal.customerId, query.limit, after);
  const last = orders[orders.length - 1];
  return {
    object: 'list',
    data: orders.map((order) => toMySummary(order)),
    hasMore,
    ...(hasMore && last ? { nextCursor: await encodeCursor(principal.customerId, last.id) } : {}),
  };
}
