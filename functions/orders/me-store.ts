/**
 * The shopper's side of the order store: the `CUSTOMER#<cus> / ORDER#<ord>` links written with every
 * order (./store.ts `customerOrderItem`) and the orders behind them. Every Query is built from the
 * session's customer id, so no input can reach another customer's partition.
 */
import { BatchGetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ddb, fromItem, tableName } from '../lib/dynamodb.ts';
import { queryAll } from '../lib/transactions.ts';
import type { OrderRecord } from './model.ts';
import { customerOrderKey, orderKey } from './store.ts';

/** BatchGetItem takes at most 100 keys per request. */
const BATCH_GET_LIMIT = 100;

/** The orders behind `ids`, strongly consistent, in the order of `ids` (missing ones left out). */
export async function getOrders(ids: string[]): Promise<OrderRecord[]> {
  const found = new Map<string, OrderRecord>();
  for (let start = 0; start < ids.length; start += BATCH_GET_LIMIT) {
    let keys: Record<string, unknown>[] = ids.slice(start, start + BATCH_GET_LIMIT).map(orderKey);
    // Unprocessed keys (throttling) are asked again until none is left.
    while (keys.length > 0) {
      const { Responses, UnprocessedKeys } = await ddb().send(
        new BatchGetCommand({ RequestItems: { [tableName()]: { Keys: keys, ConsistentRead: true } } }),
      );
      for (const item of Responses?.[tableName()] ?? []) {
        const order = fromItem<OrderRecord>(item as Record<string, unknown>);
        found.set(order.id, order);
      }
      keys = (UnprocessedKeys?.[tableName()]?.Keys ?? []) as Record<string, unknown>[];
    }
  }
  return ids.flatMap((id) => found.get(id) ?? []);
}

/** A page of the customer's orders, newest first (order ids are ULIDs), after `afterOrderId`. */
export async function listCustomerOrders(
  customerId: string,
  limit: number,
  afterOrderId?: string,
): Promise<{ orders: OrderRecord[]; hasMore: boolean }> {
  const { Items } = await ddb().send(
    new QueryCommand({
      TableName: tableName(),
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :order)',
      ExpressionAttributeValues: { ':pk': `CUSTOMER#${customerId}`, ':order': 'ORDER#' },
      ProjectionExpression: 'orderId',
      ScanIndexForward: false,
      // One more than asked tells whether another page exists without a second request.
      Limit: limit + 1,
      ConsistentRead: true,
      ...(afterOrderId ? { ExclusiveStartKey: customerOrderKey(customerId, afterOrderId) } : {}),
    }),
  );
  const ids = (Items ?? []).map((item) => String(item.orderId));
  return { orders: await getOrders(ids.slice(0, limit)), hasMore: ids.length > limit };
}

/** Every order id of the customer (the card-funding check reads them all; a shopper has few). */
export async function customerOrderIds(customerId: string): Promise<string[]> {
  const items = await queryAll({
    TableName: tableName(),
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :order)',
    ExpressionAttributeValues: { ':pk': `CUSTOMER#${customerId}`, ':order': 'ORDER#' },
    ProjectionExpression: 'orderId',
    ConsistentRead: true,
  });
  return items.map((item) => String(item.orderId));
}
