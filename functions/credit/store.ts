/**
 * Credit storage (main table, the customer's own partition `CREDIT#<customerId>`):
 *   APP#<id>            an application and its decision (never changed);
 *   WINDOW              the times of the recent applications (rolling 30 days), version-conditioned;
 *   LIMIT#<currency>    the limit the latest approval or counter-offer granted, with the holds of
 *                       checkout approvals not yet redeemed for an order and a version that every
 *                       authorization checked against the limit bumps (./limit.ts).
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

/**
 * Sets the limit (an approval or counter-offer) and bumps the version, keeping the holds of
 * approvals in flight: an authorization checked against the previous limit loses its condition and
 * is checked again.
 */
export function putLimitItem(
  customerId: string,
  limit: { currency: string; limit: number; applicationId: string; decidedAt: string },
): TransactItem {
  return {
    Update: {
      TableName: tableName(),
      Key: limitKey(customerId, limit.currency),
      UpdateExpression:
        'SET #type = :type, currency = :currency, #limit = :limit, applicationId = :app, decidedAt = :at ADD version :one',
      ExpressionAttributeNames: { '#type': 'type', '#limit': 'limit' },
      ExpressionAttributeValues: {
        ':type': 'creditLimit',
        ':currency': limit.currency,
        ':limit': limit.limit,
        ':app': limit.applicationId,
        ':at': limit.decidedAt,
        ':one': 1,
      },
    },
  };
}

export async function getLimit(customerId: string, currency: string): Promise<number | undefined> {
  return (await getLimitRecord(customerId, currency))?.limit;
}

/** A checkout approval not yet redeemed for an order: its amount counts against the limit until it expires. */
export interface LimitHold {
  amount: number;
  expiresAt: string;
}

export interface LimitRecord {
  limit: number;
  /** By checkout session id. */
  holds: Record<string, LimitHold>;
  version: number;
}

export async function getLimitRecord(customerId: string, currency: string): Promise<LimitRecord | undefined> {
  const { Item } = await ddb().send(
    new GetCommand({ TableName: tableName(), Key: limitKey(customerId, currency), ConsistentRead: true }),
  );
  if (!Item) return undefined;
  return {
    limit: Item.limit as number,
    holds: (Item.holds as Record<string, LimitHold> | undefined) ?? {},
    version: (Item.version as number | undefined) ?? 0,
  };
}

/**
 * The authorization's check against the limit, for the caller's transaction: holds when the limit
 * still covers `needed` (exposure + live holds + this amount, computed from what was read) and the
 * version is the one read (no other authorization or new limit came in between); records `holds`.
 */
export function limitCheckItem(
  customerId: string,
  currency: string,
  read: LimitRecord,
  needed: number,
  holds: Record<string, LimitHold>,
): TransactItem {
  return {
    Update: {
      TableName: tableName(),
      Key: limitKey(customerId, currency),
      UpdateExpression: 'SET holds = :holds, version = :next',
      ConditionExpression: `#limit >= :needed AND ${read.version === 0 ? 'attribute_not_exists(version)' : 'version = :v'}`,
      ExpressionAttributeNames: { '#limit': 'limit' },
      ExpressionAttributeValues: {
        ':holds': holds,
        ':next': read.version + 1,
        ':needed': needed,
        ...(read.version === 0 ? {} : { ':v': read.version }),
      },
    },
  };
}
