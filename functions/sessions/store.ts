import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ddb, fromItem, isConditionFailure, tableName } from '../lib/dynamodb.ts';
import { queryAll, type TransactItem } from '../lib/transactions.ts';

/**
 * Keys (single table):
 *   SESSION#<ses> / SESSION          a session; revocation flips its status
 *   CUSTOMER#<cus> / SESSION#<ses>   the customer's sessions (to end all others at once); expires with it
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
const sessionRefKey = (customerId: string, id: string) => ({
  pk: `CUSTOMER#${customerId}`,
  sk: `SESSION#${id}`,
});
const sessionTtl = (session: SessionRecord) => Math.ceil(session.expiresAtMs / 1000) + 3600;

export function putSessionItem(session: SessionRecord): TransactItem {
  return {
    Put: {
      TableName: tableName(),
      Item: {
        ...sessionKey(session.id),
        type: 'session',
        ...session,
        ttl: sessionTtl(session),
      },
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  };
}

/** The session in its customer's list (written with the session, gone by TTL with it). */
export function putSessionRefItem(session: SessionRecord): TransactItem {
  return {
    Put: {
      TableName: tableName(),
      Item: {
        ...sessionRefKey(session.customerId, session.id),
        type: 'sessionRef',
        sessionId: session.id,
        expiresAtMs: session.expiresAtMs,
        ttl: sessionTtl(session),
      },
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  };
}

/** Ids of the customer's sessions that have not expired at `nowMs` (revoked ones included). */
export async function listLiveSessionIds(customerId: string, nowMs: number): Promise<string[]> {
  const items = await queryAll({
    TableName: tableName(),
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :session)',
    FilterExpression: 'expiresAtMs > :now',
    ExpressionAttributeValues: { ':pk': `CUSTOMER#${customerId}`, ':session': 'SESSION#', ':now': nowMs },
    ProjectionExpression: 'sessionId',
    ConsistentRead: true,
  });
  return items.flatMap((item) => (typeof item.sessionId === 'string' ? [item.sessionId] : []));
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

/** Revokes one active session of the customer; false when it had already ended. */
export async function revokeSession(sessionId: string, customerId: string, at: string): Promise<boolean> {
  const { Update } = revokeSessionItem(sessionId, customerId, at);
  if (!Update) throw new Error('revokeSessionItem is an Update');
  try {
    await ddb().send(new UpdateCommand(Update));
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}
