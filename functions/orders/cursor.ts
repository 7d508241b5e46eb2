/**
 * Opaque order-list cursors (`GET /v1/orders`, `GET /v1/me/orders`): the kernel's list cursor
 * (../lib/list-cursor.ts) on the `orders` list, bound to the merchant or customer that received it.
 */
import { decodeListCursor, encodeListCursor } from '../lib/list-cursor.ts';

export function encodeCursor(ownerId: string, lastOrderId: string): Promise<string> {
  return encodeListCursor('orders', ownerId, lastOrderId);
}

/** The order id a cursor points after; 400 `invalid_cursor` unless this owner was given it. */
export function decodeCursor(ownerId: string, cursor: string): Promise<string> {
  return decodeListCursor('orders', ownerId, cursor, 'order');
}
