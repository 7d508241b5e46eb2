/**
 * The merchant's order lists, by Query only (never a Scan):
 * - all orders: gsi1 `MERCHANT#<mer>#ORDERS`, sort key the order id;
 * - by status: gsi2 `MERCHANT#<mer>#STATUS#<status>` on the order item itself (./store.ts moves it
 *   with every status change);
 * - by merchantReference: gsi1 `MERCHANT#<mer>#REF#<hash>` on the order's `MREF` marker, then the
 *   orders themselves by BatchGetItem.
 * Order ids are ULIDs, so a creation date range is a `BETWEEN` on the sort key: the first ten
 * characters of a ULID are its millisecond timestamp (github.com/ulid/spec), and every id of an
 * instant sorts between the lowest and the highest id of that instant.
 */
import { createHash } from 'node:crypto';
import { BatchGetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { encodeTime } from 'ulid';
import { ddb, fromItem, tableName } from '../lib/dynamodb.ts';
import { ID_PREFIXES } from '../lib/ids.ts';
import { GSI1, GSI2 } from '../lib/tables.ts';
import type { TransactItem } from '../lib/transactions.ts';
import type { OrderRecord, OrderStatus } from './model.ts';
import { merchantOrdersPk, merchantStatusPk, orderKey } from './store.ts';

export const orderReferenceKey = (orderId: string) => ({ pk: `ORDER#${orderId}`, sk: 'MREF' });

/** The reference is hashed: any length or character set makes a short, fixed-width key. */
export const merchantReferencePk = (merchantId: string, reference: string) =>
  `MERCHANT#${merchantId}#REF#${createHash('sha256').update(reference, 'utf8').digest('base64url')}`;

/** (Re)indexes the order under its merchantReference; one marker per order, so a Put replaces it. */
export function orderReferenceItem(
  order: Pick<OrderRecord, 'id' | 'merchantId' | 'merchantReference'>,
): TransactItem {
  return {
    Put: {
      TableName: tableName(),
      Item: {
        ...orderReferenceKey(order.id),
        type: 'orderReference',
        orderId: order.id,
        merchantId: order.merchantId,
        gsi1pk: merchantReferencePk(order.merchantId, order.merchantReference),
        gsi1sk: order.id,
      },
    },
  };
}

export interface OrderListFilter {
  status?: OrderStatus | undefined;
  merchantReference?: string | undefined;
  /** ISO instants, inclusive. */
  createdFrom?: string | undefined;
  createdTo?: string | undefined;
}

const PREFIX = `${ID_PREFIXES.order}_`;
/** The lowest and highest order id of the instants in [from, to]. */
function idRange(filter: OrderListFilter): { low: string; high: string } | undefined {
  if (!filter.createdFrom && !filter.createdTo) return undefined;
  const from = filter.createdFrom ? Date.parse(filter.createdFrom) : 0;
  const to = filter.createdTo ? Date.parse(filter.createdTo) : 2 ** 48 - 1;
  return { low: `${PREFIX}${encodeTime(Math.max(0, from), 10)}`, high: `${PREFIX}${encodeTime(to, 10)}~` };
}

/**
 * A page of the merchant's orders, newest first, after `afterOrderId`, filtered by status, by
 * merchantReference, or both (the reference's partition, a handful of orders, read and then kept by
 * status: a page may then hold fewer than `limit`), and by creation range. Always inside the
 * merchant's partitions. `lastId`: the last order the page read, where the next page starts.
 */
export async function queryMerchantOrders(
  merchantId: string,
  filter: OrderListFilter,
  limit: number,
  afterOrderId?: string,
): Promise<{ orders: OrderRecord[]; hasMore: boolean; lastId?: string }> {
  const byReference = filter.merchantReference !== undefined;
  const [index, pkName, skName, partition] = byReference
    ? [GSI1, 'gsi1pk', 'gsi1sk', merchantReferencePk(merchantId, filter.merchantReference ?? '')]
    : filter.status
      ? [GSI2, 'gsi2pk', 'gsi2sk', merchantStatusPk(merchantId, filter.status)]
      : [GSI1, 'gsi1pk', 'gsi1sk', merchantOrdersPk(merchantId)];
  const range = idRange(filter);
  const tableKey = (id: string) => (byReference ? orderReferenceKey(id) : orderKey(id));
  const { Items } = await ddb().send(
    new QueryCommand({
      TableName: tableName(),
      IndexName: index,
      KeyConditionExpression: `#pk = :pk${range ? ' AND #sk BETWEEN :low AND :high' : ''}`,
      ExpressionAttributeNames: { '#pk': pkName, ...(range ? { '#sk': skName } : {}) },
      ExpressionAttributeValues: {
        ':pk': partition,
        ...(range ? { ':low': range.low, ':high': range.high } : {}),
      },
      ScanIndexForward: false,
      // One more than asked tells whether another page exists without a second request.
      Limit: limit + 1,
      ...(afterOrderId
        ? { ExclusiveStartKey: { ...tableKey(afterOrderId), [pkName]: partition, [skName]: afterOrderId } }
        : {}),
    }),
  );
  const items = (Items ?? []) as Record<string, unknown>[];
  const page = items.slice(0, limit);
  const ids = page.map((item) => String(byReference ? item.orderId : item.id));
  const read = byReference ? await getOrders(ids) : page.map((item) => fromItem<OrderRecord>(item));
  const orders = byReference && filter.status ? read.filter((o) => o.status === filter.status) : read;
  return { orders, hasMore: items.length > limit, ...(ids.length ? { lastId: ids[ids.length - 1] } : {}) };
}

/** Orders by id (at most 100), in the order asked. */
async function getOrders(ids: string[]): Promise<OrderRecord[]> {
  if (ids.length === 0) return [];
  const table = tableName();
  const found = new Map<string, OrderRecord>();
  let keys: Record<string, unknown>[] = ids.map(orderKey);
  for (let round = 0; keys.length > 0 && round < 5; round += 1) {
    const { Responses, UnprocessedKeys } = await ddb().send(
      new BatchGetCommand({ RequestItems: { [table]: { Keys: keys } } }),
    );
    for (const item of Responses?.[table] ?? []) found.set(String(item.id), fromItem<OrderRecord>(item));
    keys = (UnprocessedKeys?.[table]?.Keys ?? []) as Record<string, unknown>[];
  }
  return ids.flatMap((id) => found.get(id) ?? []);
}
