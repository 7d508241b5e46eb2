import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { ddb, fromItem, tableName } from '../lib/dynamodb.ts';
import type { TransactItem } from '../lib/idempotency.ts';

/**
 * Keys (single table):
 *   SESSION#<ses> / SESSION          a session; revocation flips its status
 *   GUARD#password-*#<hash> / GUARD  password failure counters per account and per IP (lockout.ts)
 */
export interface SessionRecord {
  id: string;
  customerId: string;
  status: 'active' | 'revoked';
  deviceHash: string;
  createdAt: string;
  expiresAtMs: number;
}

const sessionKey = (id: string) => ({ pk: `SESSION#${id}`, sk: 'SESSION' });

export function putSessionItem(session: SessionRecord): TransactItem {
  return {
    Put: {
      TableName: tableName(),
      Item: {
        ...sessionKey(session.id),
        type: 'session',
        ...session,
        ttl: Math.ceil(session.expiresAtMs / 1000) + 3600,
      },
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  };
}

export async function getSession(id: string): Promise<SessionRecord | undefined> {
  const { Item } = await ddb().send(
    new GetCommand({ TableName: tableName(), Key: sessionKey(id), ConsistentRead: true }),
  );
  if (!Item) return undefined;
  return fromItem<SessionRecord>(Item, { drop: ['ttl'] });
}

export function revokeSessionItem(sessionId: string, customerId: string, at: string): TransactItem {
  return {
    Update: {
      TableName: tableName(),
      Key: sessionKey(sessionId),
      UpdateExpression: 'SET #status = :revoked, revokedAt = :at',
      ConditionExpression: '#status = :active AND customerId = :customerId',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':revoked': 'revoked',
        ':active': 'active',
        ':customerId': customerId,
        ':at': at,
      },
    },
  };
}
