import { decodeCursor, encodeCursor } from './cursor.ts';
import type { OrderListResponse, OrderResponse } from './schema.ts';
import { type MerchantPrincipal, requirePartition } from './shared.ts';
import * as store from './store.ts';
import { toOrder, toSummary } from './view.ts';

/** The merchant's order with its captures, installments and refunds; another merchant's is not found. */
export async function getOrder(principal: MerchantPrincipal, id: string): Promise<OrderResponse> {
  return toOrder(await requirePartition(principal, id));
}

/** The merchant's orders, newest first, a page at a time behind an opaque, merchant-bound cursor. */
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
