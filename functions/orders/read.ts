import { DomainError } from '../lib/errors.ts';
import { decodeCursor, encodeCursor } from './cursor.ts';
import { queryMerchantOrders } from './list-store.ts';
import type { ListOrdersQuery, OrderListResponse, OrderResponse } from './schema.ts';
import { type MerchantPrincipal, requirePartition } from './shared.ts';
import { toOrder, toSummary } from './view.ts';

/** The merchant's order with its captures, installments and refunds; another merchant's is not found. */
export async function getOrder(principal: MerchantPrincipal, id: string): Promise<OrderResponse> {
  return toOrder(await requirePartition(principal, id));
}

/**
 * The merchant's orders, newest first, a page at a time behind an opaque, merchant-bound cursor;
 * filtered by `status`, by `merchantReference` or both, and by creation instant (`createdFrom` ≤ createdAt ≤ `createdTo`; 400 when the range is reversed). The
 * cursor keeps the filter's place: send the same filters with it.
 */
export async function listOrders(
  principal: MerchantPrincipal,
  query: ListOrdersQuery,
): Promise<OrderListResponse> {
  if (query.createdFrom && query.createdTo && Date.parse(query.createdFrom) > Date.parse(query.createdTo)) {
    throw new DomainError('invalid', 'parameter_invalid', 'createdFrom is after createdTo.', 'createdFrom');
  }
  const after = query.startingAfter
    ? await decodeCursor(principal.merchantId, query.startingAfter)
    : undefined;
  const { orders, hasMore, lastId } = await queryMerchantOrders(
    principal.merchantId,
    query,
    query.limit,
    after,
  );
  return {
    object: 'list',
    data: orders.map(toSummary),
    hasMore,
    ...(hasMore && lastId ? { nextCursor: await encodeCursor(principal.merchantId, lastId) } : {}),
  };
}
