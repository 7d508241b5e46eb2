import { createHash } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { ddb, fromItem, tableName } from '../lib/dynamodb.ts';
import { GSI1 } from '../lib/tables.ts';
import { queryAll, type TransactItem } from '../lib/transactions.ts';
import type {
  CaptureRecord,
  InstallmentRecord,
  OrderPartition,
  OrderRecord,
  OrderStatus,
  RefundRecord,
} from './model.ts';
import { DUE_SHARDS } from './policy.ts';
import { transitionCondition } from './state.ts';

/**
 * Keys (single table). One order is one partition, so a single Query reads it whole:
 *   ORDER#<ord> / ORDER                  the order: status, amounts, version (every change bumps it)
 *   ORDER#<ord> / CAP#<cap>              a capture and its disclosure
 *   ORDER#<ord> / INS#<cap>#<seq>        an installment of that capture (the `due` index while collectable)
 *   ORDER#<ord> / REF#<ref>              a refund and its per-installment breakdown
 *   ORDER#<ord> / AUTHEXP                marker indexed by the day the authorization lapses (sweep)
 *   CUSTOMER#<cus> / ORDER#<ord>         the shopper's orders (for GET /v1/me/orders)
 *
 *   ORDER#<ord> / MREF                   marker indexed by the order's merchantReference (./list-store.ts)
 *
 * gsi1:
 *   MERCHANT#<mer>#ORDERS   <ord>                   a merchant's orders, newest first (ULIDs sort by time)
 *   MERCHANT#<mer>#REF#<h>  <ord>                   the MREF marker: orders by merchantReference (h: its hash)
 *   AUTHEXP#<yyyy-mm-dd>    <expiresAt>#<ord>       authorizations lapsing that day (no Scan)
 * gsi2:
 *   MERCHANT#<mer>#STATUS#<status>  <ord>           a merchant's orders in a status (the order item itself)
 * due (sparse):
 *   DUE#<yyyy-mm-dd>#<shard>  <ins>                 installments to collect that day
 */
export const orderKey = (id: string) => ({ pk: `ORDER#${id}`, sk: 'ORDER' });
export const captureKey = (orderId: string, captureId: string) => ({
  pk: `ORDER#${orderId}`,
  sk: `CAP#${captureId}`,
});
export const installmentKey = (orderId: string, captureId: string, seq: number) => ({
  pk: `ORDER#${orderId}`,
  sk: `INS#${captureId}#${String(seq).padStart(3, '0')}`,
});
export const refundKey = (orderId: string, refundId: string) => ({
  pk: `ORDER#${orderId}`,
  sk: `REF#${refundId}`,
});
export const authExpiryKey = (orderId: string) => ({ pk: `ORDER#${orderId}`, sk: 'AUTHEXP' });
export const customerOrderKey = (customerId: string, orderId: string) => ({
  pk: `CUSTOMER#${customerId}`,
  sk: `ORDER#${orderId}`,
});
export const merchantOrdersPk = (merchantId: string) => `MERCHANT#${merchantId}#ORDERS`;
/** gsi2: a merchant's orders in one status (./list-store.ts); every status change moves the order. */
export const merchantStatusPk = (merchantId: string, status: OrderStatus) =>
  `MERCHANT#${merchantId}#STATUS#${status}`;
export const authExpiryPk = (day: string) => `AUTHEXP#${day}`;

/** The `due` index attributes of an installment collectable on `day` (YYYY-MM-DD). */
export function dueIndex(installmentId: string, day: string): { duePk: string; dueSk: string } {
  const shard = (createHash('sha256').update(installmentId).digest()[0] ?? 0) % DUE_SHARDS;
  return { duePk: `DUE#${day}#${shard}`, dueSk: installmentId };
}

export function putOrderItem(order: OrderRecord): TransactItem {
  return {
    Put: {
      TableName: tableName(),
      Item: {
        ...orderKey(order.id),
        type: 'order',
        ...order,
        gsi1pk: merchantOrdersPk(order.merchantId),
        gsi1sk: order.id,
        gsi2pk: merchantStatusPk(order.merchantId, order.status),
        gsi2sk: order.id,
      },
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  };
}

export function customerOrderItem(order: OrderRecord): TransactItem {
  return {
    Put: {
      TableName: tableName(),
      Item: {
        ...customerOrderKey(order.customerId, order.id),
        type: 'customerOrder',
        orderId: order.id,
        merchantId: order.merchantId,
        amount: order.amount,
        currency: order.currency,
        createdAt: order.createdAt,
      },
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  };
}

/** (Re)indexes the order under the day its authorization lapses; one marker per order. */
export function putAuthExpiryItem(
  order: Pick<OrderRecord, 'id' | 'merchantId' | 'authorizationExpiresAt'>,
): TransactItem {
  return {
    Put: {
      TableName: tableName(),
      Item: {
        ...authExpiryKey(order.id),
        type: 'authorizationExpiry',
        orderId: order.id,
        merchantId: order.merchantId,
        expiresAt: order.authorizationExpiresAt,
        gsi1pk: authExpiryPk(order.authorizationExpiresAt.slice(0, 10)),
        gsi1sk: `${order.authorizationExpiresAt}#${order.id}`,
      },
    },
  };
}

export function deleteAuthExpiryItem(orderId: string): TransactItem {
  return { Delete: { TableName: tableName(), Key: authExpiryKey(orderId) } };
}

export function putCaptureItem(capture: CaptureRecord): TransactItem {
  return {
    Put: {
      TableName: tableName(),
      Item: { ...captureKey(capture.orderId, capture.id), type: 'capture', ...capture },
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  };
}

export function putInstallmentItem(installment: InstallmentRecord): TransactItem {
  return {
    Put: {
      TableName: tableName(),
      Item: {
        ...installmentKey(installment.orderId, installment.captureId, installment.seq),
        type: 'installment',
        ...installment,
      },
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  };
}

export function putRefundItem(refund: RefundRecord): TransactItem {
  return {
    Put: {
      TableName: tableName(),
      Item: { ...refundKey(refund.orderId, refund.id), type: 'refund', ...refund },
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  };
}

/** Builds `SET a = :a, …` / `REMOVE …` with placeholders for every name (reserved words are many). */
function updateExpression(set: Record<string, unknown>, remove: string[] = []) {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const assignments = Object.entries(set).map(([key, value], index) => {
    names[`#u${index}`] = key;
    values[`:u${index}`] = value;
    return `#u${index} = :u${index}`;
  });
  const removals = remove.map((key, index) => {
    names[`#r${index}`] = key;
    return `#r${index}`;
  });
  const expression = [
    assignments.length ? `SET ${assignments.join(', ')}` : '',
    removals.length ? `REMOVE ${removals.join(', ')}` : '',
  ]
    .filter(Boolean)
    .join(' ');
  return { expression, names, values };
}

/**
 * The one way an order changes: `to` must be reachable from the stored status (the state machine),
 * the stored version must be the one read, and the order must be the merchant's. Sets the next
 * version and `updatedAt`, plus `set`; `extra` adds conditions on the stored order.
 */
export function orderTransitionItem(
  order: Pick<OrderRecord, 'id' | 'merchantId' | 'version'>,
  to: OrderStatus,
  set: Record<string, unknown>,
  at: string,
  extra?: { condition: string; values: Record<string, unknown> },
  remove: string[] = [],
): TransactItem {
  const guard = transitionCondition(to, order.version);
  const update = updateExpression(
    {
      ...set,
      status: to,
      // The status index follows the status (orders before it get their entry at their next change).
      gsi2pk: merchantStatusPk(order.merchantId, to),
      gsi2sk: order.id,
      version: order.version + 1,
      updatedAt: at,
    },
    remove,
  );
  return {
    Update: {
      TableName: tableName(),
      Key: orderKey(order.id),
      UpdateExpression: update.expression,
      ConditionExpression: `${guard.ConditionExpression} AND #merchant = :merchant${extra ? ` AND (${extra.condition})` : ''}`,
      ExpressionAttributeNames: { ...update.names, ...guard.names, '#merchant': 'merchantId' },
      ExpressionAttributeValues: {
        ...update.values,
        ...guard.values,
        ':merchant': order.merchantId,
        ...(extra?.values ?? {}),
      },
    },
  };
}

/** An installment change, conditioned on the installment's version (and status) as read. */
export function installmentUpdateItem(
  installment: Pick<InstallmentRecord, 'orderId' | 'captureId' | 'seq' | 'version' | 'status'>,
  set: Record<string, unknown>,
  at: string,
  remove: string[] = [],
): TransactItem {
  const update = updateExpression({ ...set, version: installment.version + 1, updatedAt: at }, remove);
  return {
    Update: {
      TableName: tableName(),
      Key: installmentKey(installment.orderId, installment.captureId, installment.seq),
      UpdateExpression: update.expression,
      ConditionExpression: '#iv = :iv AND #is = :is',
      ExpressionAttributeNames: { ...update.names, '#iv': 'version', '#is': 'status' },
      ExpressionAttributeValues: { ...update.values, ':iv': installment.version, ':is': installment.status },
    },
  };
}

export function captureRefundedItem(capture: CaptureRecord, refundedAmount: number): TransactItem {
  return {
    Update: {
      TableName: tableName(),
      Key: captureKey(capture.orderId, capture.id),
      UpdateExpression: 'SET refundedAmount = :next',
      ConditionExpression: 'refundedAmount = :prev',
      ExpressionAttributeValues: { ':next': refundedAmount, ':prev': capture.refundedAmount },
    },
  };
}

/** Replaces a capture's shipments, conditioned on how many there were when read. */
export function captureShippingItem(
  capture: Pick<CaptureRecord, 'orderId' | 'id' | 'shippingInfo'>,
  shippingInfo: NonNullable<CaptureRecord['shippingInfo']>,
): TransactItem {
  const seen = capture.shippingInfo?.length ?? 0;
  return {
    Update: {
      TableName: tableName(),
      Key: captureKey(capture.orderId, capture.id),
      UpdateExpression: 'SET shippingInfo = :next',
      ConditionExpression:
        seen === 0
          ? 'attribute_exists(pk) AND attribute_not_exists(shippingInfo)'
          : 'attribute_exists(pk) AND size(shippingInfo) = :seen',
      ExpressionAttributeValues: { ':next': shippingInfo, ...(seen === 0 ? {} : { ':seen': seen }) },
    },
  };
}

export async function getOrder(id: string): Promise<OrderRecord | undefined> {
  const { Item } = await ddb().send(
    new GetCommand({ TableName: tableName(), Key: orderKey(id), ConsistentRead: true }),
  );
  return Item ? fromItem<OrderRecord>(Item) : undefined;
}

/** The whole order in one strongly consistent Query (paged only past 1 MB). */
export async function getOrderPartition(id: string): Promise<OrderPartition | undefined> {
  const items = await queryAll({
    TableName: tableName(),
    KeyConditionExpression: 'pk = :pk',
    ExpressionAttributeValues: { ':pk': `ORDER#${id}` },
    ConsistentRead: true,
  });
  const orderItem = items.find((item) => item.sk === 'ORDER');
  if (!orderItem) return undefined;
  const ofType = (prefix: string) => items.filter((item) => String(item.sk).startsWith(prefix));
  return {
    order: fromItem<OrderRecord>(orderItem),
    // Sort keys hold ULIDs and zero-padded sequence numbers: item order is creation order.
    captures: ofType('CAP#').map((item) => fromItem<CaptureRecord>(item)),
    installments: ofType('INS#').map((item) =>
      fromItem<InstallmentRecord>(item, { keep: ['duePk', 'dueSk'] }),
    ),
    refunds: ofType('REF#').map((item) => fromItem<RefundRecord>(item)),
  };
}

/** Authorization expiry markers indexed under `day`, up to `until` (inclusive), oldest first. */
export async function queryAuthExpiries(
  day: string,
  until: string,
): Promise<Array<{ orderId: string; expiresAt: string }>> {
  const items = await queryAll({
    TableName: tableName(),
    IndexName: GSI1,
    KeyConditionExpression: 'gsi1pk = :pk AND gsi1sk <= :until',
    ExpressionAttributeValues: { ':pk': authExpiryPk(day), ':until': `${until}#~` },
    ProjectionExpression: 'orderId, expiresAt',
  });
  return items.map((item) => ({ orderId: String(item.orderId), expiresAt: String(item.expiresAt) }));
}
