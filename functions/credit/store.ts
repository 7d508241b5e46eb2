/**
 * Credit storage (main table, the customer's own partition `CREDIT#<customerId>`):
 *   APP#<id>            an application and its decision (never changed);
 *   WINDOW              the times of the recent applications (rolling 30 days), version-conditioned;
 *   LIMIT#<currency>    the limit the latest approval or counter-offer granted.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { ddb, tableName } from '../lib/dynamodb.ts';
import type { TransactItem } from '../lib/transactions.ts';

const pk = (customerId: string) => `CREDIT#${customerId}`;
export const limitKey = (customerId: string, currency: string) => ({
  pk: pk(customerId),
  sk: `LIMIT#${currency}`,
});

export async function getWindow(
  customerId: string,
): Promise<{ recent: string[]; version: number } | undefined> {
  const { Item } = await ddb().send(
    new GetCommand({
      TableName: tableName(),
      Key: { pk: pk(customerId), sk: 'WINDOW' },
      ConsistentRead: true,
    }),
  );
  return Item ? { recent: Item.recent as string[], version: Item.version as number } : undefined;
}

export function putWindowItem(
  customerId: string,
  recent: string[],
  expected: number | undefined,
): TransactItem {
  return {
    Put: {
      TableName: tableName(),
      Item: { pk: pk(customerId), sk: 'WINDOW', type: 'creditWindow', recent, version: (expected ?? 0) + 1 },
      ConditionExpression: expected === undefined ? 'attribute_not_exists(pk)' : 'version = :v',
      ...(expected === undefined ? {} : { ExpressionAttributeValues: { ':v': expected } }),
    },
  };
}

export function putApplicationItem(
  customerId: string,
  application: Record<string, unknown> & { id: string },
): TransactItem {
  return {
    Put: {
      TableName: tableName(),
      Item: { pk: pk(customerId), sk: `APP#${application.id}`, type: 'creditApplication', ...application },
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  };
}

export function putLimitItem(
  customerId: string,
  limit: { currency: string; limit: number; applicationId: string; decidedAt: string },
): TransactItem {
  return {
    Put: {
      TableName: tableName(),
      Item: { ...limitKey(customerId, limit.currency), type: 'creditLimit', ...limit },
    },
  };
}

export async function getLimit(customerId: string, currency: string): Promise<number | undefined> {
  const { Item } = await ddb().send(
    new GetCommand({ TableName: tableName(), Key: limitKey(customerId, currency) }),
  );
  return Item ? (Item.limit as number) : undefined;
}
