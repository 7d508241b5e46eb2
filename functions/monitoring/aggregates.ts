/**
 * Risk aggregates in the main table: per entity (customer, card fingerprint, device, IP, phone) and
 * metric, one item per bucket of a window (./windows.ts):
 *   RISK#<dimension>#<id> / <metric>#<window>#<bucket start ISO>   n, sum, events (string set), ttl
 * (ttl: 2W after the bucket's start, W past the last read that looks at it; ./windows.ts)
 * Recorded by atomic ADD (concurrent events never lose a count) and read by one BatchGetItem for all
 * the (entity, metric, window) pairs an event needs: two keys each, current and previous bucket.
 * Never a Query over history. Entity ids are keyed hashes or prefixed ids, never personal data.
 */
import { randomBytes } from 'node:crypto';
import { BatchGetCommand, type BatchGetCommandOutput, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ddb, isConditionFailure, tableName } from '../lib/dynamodb.ts';
import {
  type Bucket,
  bucketStart,
  EMPTY_BUCKET,
  estimate,
  eventMember,
  MAX_EVENTS,
  WINDOWS,
  type WindowEstimate,
  type WindowName,
} from './windows.ts';

export type Dimension = 'customer' | 'card' | 'device' | 'ip' | 'phone';
export type Metric =
  | 'checkouts'
  | 'cards'
  | 'customers'
  | 'devices'
  | 'twofaFailures'
  | 'otpSends'
  | 'securityChanges'
  | 'declines'
  | 'creditApplications';

/** One aggregate: a metric of an entity over a window. */
export interface AggregateRef {
  dimension: Dimension;
  id: string;
  metric: Metric;
  window: WindowName;
}

/** What to add to an aggregate's current bucket. */
export interface AggregateAdd extends AggregateRef {
  count?: number;
  sum?: number;
  member?: string;
  /** Names the event, so that recording it again (a redelivered stream record) counts it once. */
  eventId?: string;
}

const pk = (ref: AggregateRef) => `RISK#${ref.dimension}#${ref.id}`;
const sk = (ref: AggregateRef, startMs: number) =>
  `${ref.metric}#${ref.window}#${new Date(startMs).toISOString()}`;
export const aggregateName = (ref: AggregateRef) => `${ref.dimension}.${ref.metric}.${ref.window}#${ref.id}`;

const BATCH_GET_LIMIT = 100;

/**
 * The estimates of `refs` at `atMs`, keyed by `aggregateName`: one BatchGetItem per 50 aggregates
 * (100 keys), with its unprocessed keys retried; with `flaggedCardKey` (a card's fingerprint), the
 * card's standing flag in the same batch (`cardFlagged`). Throws on a DynamoDB error (the caller decides
 * whether an unreadable history fails open or closed).
 */
export async function readAggregates(
  refs: readonly AggregateRef[],
  atMs: number,
  flaggedCardKey?: string,
): Promise<Map<string, WindowEstimate> & { cardFlagged?: boolean }> {
  const cardFlagKey = flaggedCardKey ? { pk: `CARDFLAG#${flaggedCardKey}`, sk: 'FLAGGED' } : undefined;
  const keys: Record<string, unknown>[] = cardFlagKey ? [cardFlagKey] : [];
  keys.push(
    ...refs.flatMap((ref) => {
      const current = bucketStart(ref.window, atMs);
      return [
        { pk: pk(ref), sk: sk(ref, current) },
        { pk: pk(ref), sk: sk(ref, current - WINDOWS[ref.window]) },
      ];
    }),
  );
  const found = new Map<string, Bucket>();
  for (let i = 0; i < keys.length; i += BATCH_GET_LIMIT) {
    let pending: Record<string, unknown>[] | undefined = keys.slice(i, i + BATCH_GET_LIMIT);
    for (let round = 0; pending && pending.length > 0 && round < 5; round += 1) {
      const out: BatchGetCommandOutput = await ddb().send(
        new BatchGetCommand({ RequestItems: { [tableName()]: { Keys: pending } } }),
      );
      for (const item of out.Responses?.[tableName()] ?? []) {
        if (item.type === 'cardFlagged') {
          found.set(`${item.pk}|${item.sk}`, EMPTY_BUCKET);
          continue;
        }
        found.set(`${item.pk}|${item.sk}`, {
          n: Number(item.n ?? 0),
          sum: Number(item.sum ?? 0),
          events: new Set((item.events as Set<string> | undefined) ?? []),
        });
      }
      pending = out.UnprocessedKeys?.[tableName()]?.Keys;
    }
    if (pending && pending.length > 0) throw new Error('risk aggregates: keys left unprocessed');
  }
  const estimates: Map<string, WindowEstimate> & { cardFlagged?: boolean } = new Map();
  if (cardFlagKey) estimates.cardFlagged = found.has(`${cardFlagKey.pk}|${cardFlagKey.sk}`);
  for (const ref of refs) {
    const current = bucketStart(ref.window, atMs);
    const get = (start: number) => found.get(`${pk(ref)}|${sk(ref, start)}`) ?? EMPTY_BUCKET;
    estimates.set(
      aggregateName(ref),
      estimate(ref.window, atMs, get(current), get(current - WINDOWS[ref.window])),
    );
  }
  return estimates;
}

/**
 * Adds one event to each aggregate's current bucket at `atMs`: count, sum and the event itself, by
 * atomic ADD (one UpdateItem each, in parallel). A bucket already holding MAX_EVENTS events takes
 * the count and sum only. An addition named by `eventId` counts once however often it is recorded
 * (a redelivered stream record): its update is conditioned on the bucket not holding the event.
 */
export async function recordAggregates(adds: readonly AggregateAdd[], atMs: number): Promise<void> {
  await Promise.all(adds.map((add) => recordOne(add, atMs)));
}

async function recordOne(add: AggregateAdd, atMs: number): Promise<void> {
  const start = bucketStart(add.window, atMs);
  const key = { pk: pk(add), sk: sk(add, start) };
  const member = eventMember(atMs, add.eventId ?? randomBytes(4).toString('hex'), add.member, add.sum);
  const values = {
    ':n': add.count ?? 1,
    ':sum': add.sum ?? 0,
    ':ttl': Math.floor((start + 2 * WINDOWS[add.window]) / 1000),
    ':type': 'riskAggregate',
  };
  const names = { '#type': 'type', '#ttl': 'ttl' };
  try {
    await ddb().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: key,
        UpdateExpression: 'ADD n :n, #sum :sum, events :e SET #type = :type, #ttl = :ttl',
        ConditionExpression: 'attribute_not_exists(n) OR (n < :cap AND NOT contains(events, :m))',
        ExpressionAttributeNames: { ...names, '#sum': 'sum' },
        ExpressionAttributeValues: { ...values, ':e': new Set([member]), ':m': member, ':cap': MAX_EVENTS },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    // The item as it was: raw AttributeValues (the document client does not unmarshall errors).
    const events = (error as { Item?: { events?: { SS?: string[] } | Set<string> } }).Item?.events;
    const held = events instanceof Set ? events.has(member) : (events?.SS ?? []).includes(member);
    if (held) return; // counted already
    await ddb().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: key,
        UpdateExpression: 'ADD n :n, #sum :sum SET #type = :type, #ttl = :ttl',
        ExpressionAttributeNames: { ...names, '#sum': 'sum' },
        ExpressionAttributeValues: values,
      }),
    );
  }
}
