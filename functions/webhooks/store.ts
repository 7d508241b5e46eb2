import { createHash } from 'node:crypto';
import { GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { DAY_MS } from '../lib/clock.ts';
import { ddb, fromItem, isConditionFailure, tableName } from '../lib/dynamodb.ts';
import { GSI1 } from '../lib/tables.ts';
import type { TransactItem } from '../lib/transactions.ts';

/**
 * Webhook items in the main table:
 *   EVENT#<evt> / EVENT      the event as recorded (immutable): type, data, sequence, exact payload
 *   EVENT#<evt> / DELIVERY   its delivery, a small state machine:
 *        pending -> delivering -> delivered | pending (next attempt) | dead | skipped
 *
 * gsi1 (sparse: an item is indexed only while someone needs to find it):
 *   WEBHOOK#pending#<shard>      <nextAttemptAt | leaseUntil>#<evt>   due or in-flight deliveries
 *   WEBHOOK#dead                 <deadAt>#<evt>                       the DLQ, for operators
 *   WEBHOOK#skipped#<merchant>   <skippedAt>#<evt>                    no endpoint at delivery time
 *   EVENTS#<objectId>            <sequence, 12 digits>#<evt>          an object's events, in order
 * gsi2:
 *   MERCHANT#<mer>#EVENTS        <evt>                                a merchant's events (30 days, TTL)
 * Delivered deliveries leave the index (and expire after 30 days), so the job reads only what is due.
 */
export const PENDING_SHARDS = 8;
export const RETENTION_MS = 30 * DAY_MS;
/** Events are kept (GET /v1/events) for 30 days after they are created, then TTL removes them. */
export const EVENT_RETENTION_MS = 30 * DAY_MS;

export type DeliveryStatus = 'pending' | 'delivering' | 'delivered' | 'dead' | 'skipped';

export interface DeliveryRecord {
  id: string;
  merchantId: string;
  eventType: string;
  objectId: string;
  sequence: number;
  status: DeliveryStatus;
  /** Requests actually sent (a claim counts one; a skip gives it back). */
  attempts: number;
  /** Set on a test event: only these endpoints. */
  endpointIds?: string[];
  /** Endpoints that acknowledged it (2xx): a retry goes only to the others. */
  deliveredTo?: string[];
  shard: number;
  nextAttemptAt?: string;
  leaseToken?: string;
  leaseUntil?: string;
  lastAttemptAt?: string;
  lastStatusCode?: number;
  lastError?: string;
  deliveredAt?: string;
  deadAt?: string;
  skippedAt?: string;
  skippedReason?: string;
  createdAt: string;
  updatedAt: string;
}

export interface EventRecord {
  id: string;
  merchantId: string;
  eventType: string;
  objectId: string;
  sequence: number;
  created: string;
  data: Record<string, unknown>;
  payload: string;
}

export const eventKey = (id: string) => ({ pk: `EVENT#${id}`, sk: 'EVENT' });
export const deliveryKey = (id: string) => ({ pk: `EVENT#${id}`, sk: 'DELIVERY' });
export const pendingPk = (shard: number) => `WEBHOOK#pending#${shard}`;
export const DEAD_PK = 'WEBHOOK#dead';
export const skippedPk = (merchantId: string) => `WEBHOOK#skipped#${merchantId}`;
export const objectEventsPk = (objectId: string) => `EVENTS#${objectId}`;
export const merchantEventsPk = (merchantId: string) => `MERCHANT#${merchantId}#EVENTS`;
/** ISO instants are fixed width, so they sort as strings. */
export const timeSortKey = (iso: string, id: string) => `${iso}#${id}`;
export const sequenceSortKey = (sequence: number, id: string) =>
  `${String(sequence).padStart(12, '0')}#${id}`;

/** Spreads the pending index over PENDING_SHARDS partitions, so no single key takes every event. */
export function shardOf(eventId: string): number {
  return (createHash('sha256').update(eventId).digest()[0] ?? 0) % PENDING_SHARDS;
}

const strip = <T>(item: Record<string, unknown>): T => fromItem<T>(item, { drop: ['ttl'] });

/** Due (and lease-expired) deliveries, oldest first, across all shards; eventually consistent. */
export async function queryDue(now: Date, limit: number): Promise<string[]> {
  const upper = `${now.toISOString()}#~`;
  const pages = await Promise.all(
    Array.from({ length: PENDING_SHARDS }, (_, shard) =>
      ddb().send(
        new QueryCommand({
          TableName: tableName(),
          IndexName: GSI1,
          KeyConditionExpression: 'gsi1pk = :pk AND gsi1sk < :upper',
          ExpressionAttributeValues: { ':pk': pendingPk(shard), ':upper': upper },
          ProjectionExpression: 'id, gsi1sk',
          Limit: limit,
        }),
      ),
    ),
  );
  return pages
    .flatMap((page) => (page.Items ?? []) as { id: string; gsi1sk: string }[])
    .sort((a, b) => (a.gsi1sk < b.gsi1sk ? -1 : a.gsi1sk > b.gsi1sk ? 1 : 0))
    .slice(0, limit)
    .map((item) => item.id);
}

/**
 * Takes the delivery for one attempt: pending and due, or delivering with an expired lease (its
 * worker died). Exactly one concurrent caller wins; the others get undefined.
 */
export async function claimDelivery(
  id: string,
  now: Date,
  leaseUntil: Date,
  leaseToken: string,
): Promise<DeliveryRecord | undefined> {
  const nowIso = now.toISOString();
  const leaseIso = leaseUntil.toISOString();
  try {
    const { Attributes } = await ddb().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: deliveryKey(id),
        UpdateExpression:
          'SET #status = :delivering, attempts = attempts + :one, leaseToken = :token, leaseUntil = :lease, ' +
          'lastAttemptAt = :now, updatedAt = :now, gsi1sk = :sk',
        ConditionExpression:
          '(#status = :pending AND nextAttemptAt <= :now) OR (#status = :delivering AND leaseUntil < :now)',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':delivering': 'delivering',
          ':pending': 'pending',
          ':one': 1,
          ':token': leaseToken,
          ':lease': leaseIso,
          ':now': nowIso,
          // Stays in the pending index keyed by the lease: a crashed attempt is found again.
          ':sk': timeSortKey(leaseIso, id),
        },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return Attributes ? strip<DeliveryRecord>(Attributes) : undefined;
  } catch (error) {
    if (isConditionFailure(error)) return undefined;
    throw error;
  }
}

export async function getEvent(id: string): Promise<EventRecord | undefined> {
  const { Item } = await ddb().send(new GetCommand({ TableName: tableName(), Key: eventKey(id) }));
  return Item ? strip<EventRecord>(Item) : undefined;
}

export async function getDelivery(id: string): Promise<DeliveryRecord | undefined> {
  const { Item } = await ddb().send(
    new GetCommand({ TableName: tableName(), Key: deliveryKey(id), ConsistentRead: true }),
  );
  return Item ? strip<DeliveryRecord>(Item) : undefined;
}

/** `deliveredTo`: the endpoints that acknowledged the event so far (a retry skips them). */
export type AttemptOutcome =
  | { kind: 'delivered'; statusCode: number; deliveredTo?: string[] }
  | { kind: 'retry'; nextAttemptAt: Date; statusCode?: number; error: string; deliveredTo?: string[] }
  | { kind: 'dead'; statusCode?: number; error: string; deliveredTo?: string[] }
  | { kind: 'skipped'; reason: string };

/** The attributes an outcome sets and removes, and how it moves the attempt count. */
function outcomeChanges(
  delivery: DeliveryRecord,
  outcome: AttemptOutcome,
  now: Date,
): { set: Record<string, unknown>; remove: string[]; attemptsDelta: number } {
  const at = now.toISOString();
  const ttl = Math.floor((now.getTime() + RETENTION_MS) / 1000);
  const set: Record<string, unknown> = {
    status: outcome.kind === 'retry' ? 'pending' : outcome.kind,
    updatedAt: at,
  };
  const remove = ['leaseToken', 'leaseUntil'];
  if ('deliveredTo' in outcome && outcome.deliveredTo && outcome.deliveredTo.length > 0) {
    set.deliveredTo = outcome.deliveredTo;
  }
  let attemptsDelta = 0;
  switch (outcome.kind) {
    case 'delivered':
      Object.assign(set, { deliveredAt: at, lastStatusCode: outcome.statusCode, ttl });
      remove.push('gsi1pk', 'gsi1sk', 'nextAttemptAt', 'lastError');
      break;
    case 'retry': {
      const next = outcome.nextAttemptAt.toISOString();
      Object.assign(set, {
        nextAttemptAt: next,
        lastError: outcome.error,
        gsi1pk: pendingPk(delivery.shard),
        gsi1sk: timeSortKey(next, delivery.id),
      });
      if (outcome.statusCode === undefined) remove.push('lastStatusCode');
      else set.lastStatusCode = outcome.statusCode;
      break;
    }
    case 'dead':
      Object.assign(set, {
        deadAt: at,
        lastError: outcome.error,
        gsi1pk: DEAD_PK,
        gsi1sk: timeSortKey(at, delivery.id),
      });
      remove.push('nextAttemptAt');
      if (outcome.statusCode === undefined) remove.push('lastStatusCode');
      else set.lastStatusCode = outcome.statusCode;
      break;
    case 'skipped':
      // Nothing was sent: the claim's attempt is given back.
      attemptsDelta = -1;
      Object.assign(set, {
        skippedAt: at,
        skippedReason: outcome.reason,
        ttl,
        gsi1pk: skippedPk(delivery.merchantId),
        gsi1sk: timeSortKey(at, delivery.id),
      });
      remove.push('nextAttemptAt');
      break;
  }
  return { set, remove, attemptsDelta };
}

/**
 * Records the attempt's outcome, only while still holding the lease: if the lease expired and
 * another worker took over, that worker's outcome wins and this returns false.
 */
export async function finishAttempt(
  delivery: DeliveryRecord,
  leaseToken: string,
  outcome: AttemptOutcome,
  now: Date,
): Promise<boolean> {
  const { set, remove, attemptsDelta } = outcomeChanges(delivery, outcome, now);
  const names: Record<string, string> = { '#lease': 'leaseToken', '#cur': 'status' };
  const values: Record<string, unknown> = { ':token': leaseToken, ':delivering': 'delivering' };
  const assignments = Object.entries(set).map(([key, value], i) => {
    names[`#s${i}`] = key;
    values[`:s${i}`] = value;
    return `#s${i} = :s${i}`;
  });
  if (attemptsDelta !== 0) {
    assignments.push('attempts = attempts + :delta');
    values[':delta'] = attemptsDelta;
  }
  const removals = remove.map((key, i) => {
    names[`#r${i}`] = key;
    return `#r${i}`;
  });
  try {
    await ddb().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: deliveryKey(delivery.id),
        UpdateExpression: `SET ${assignments.join(', ')} REMOVE ${removals.join(', ')}`,
        ConditionExpression: '#cur = :delivering AND #lease = :token',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

/**
 * Puts a dead or skipped delivery back in the queue with a fresh attempt budget, for the caller's
 * transaction (with its audit item). Conditional on the state the caller read.
 */
export function requeueItem(delivery: DeliveryRecord, now: Date): TransactItem {
  const at = now.toISOString();
  return {
    Update: {
      TableName: tableName(),
      Key: deliveryKey(delivery.id),
      UpdateExpression:
        'SET #status = :pending, attempts = :zero, nextAttemptAt = :at, updatedAt = :at, ' +
        'gsi1pk = :pk, gsi1sk = :sk REMOVE deadAt, skippedAt, skippedReason, #ttl',
      ConditionExpression: '#status = :expected AND updatedAt = :seen',
      ExpressionAttributeNames: { '#status': 'status', '#ttl': 'ttl' },
      ExpressionAttributeValues: {
        ':pending': 'pending',
        ':zero': 0,
        ':at': at,
        ':expected': delivery.status,
        ':seen': delivery.updatedAt,
        ':pk': pendingPk(delivery.shard),
        ':sk': timeSortKey(at, delivery.id),
      },
    },
  };
}

export interface Page<T> {
  items: T[];
  /** The last item's index sort key, when more may follow. */
  last?: { sortKey: string; id: string };
}

/** Newest first. `after` comes from a previous page and stays inside the same index partition. */
export async function listByIndex<T>(
  partition: string,
  limit: number,
  after?: { sortKey: string; id: string },
  options: { newestFirst?: boolean; sk?: 'DELIVERY' | 'EVENT' } = {},
): Promise<Page<T>> {
  const sk = options.sk ?? 'DELIVERY';
  const { Items, LastEvaluatedKey } = await ddb().send(
    new QueryCommand({
      TableName: tableName(),
      IndexName: GSI1,
      KeyConditionExpression: 'gsi1pk = :pk',
      ExpressionAttributeValues: { ':pk': partition },
      ScanIndexForward: !(options.newestFirst ?? true),
      Limit: limit,
      ...(after
        ? {
            ExclusiveStartKey: {
              gsi1pk: partition,
              gsi1sk: after.sortKey,
              ...(sk === 'DELIVERY' ? deliveryKey(after.id) : eventKey(after.id)),
            },
          }
        : {}),
    }),
  );
  const items = (Items ?? []) as Record<string, unknown>[];
  const lastItem = items[items.length - 1];
  return {
    items: items.map((item) => strip<T>(item)),
    ...(LastEvaluatedKey && lastItem
      ? { last: { sortKey: String(lastItem.gsi1sk), id: String(lastItem.id) } }
      : {}),
  };
}

/** An object's events in sequence order (for the object's owner, checked by the caller). */
export async function listObjectEvents(objectId: string, limit = 100): Promise<EventRecord[]> {
  const page = await listByIndex<EventRecord>(objectEventsPk(objectId), limit, undefined, {
    newestFirst: false,
    sk: 'EVENT',
  });
  return page.items;
}
