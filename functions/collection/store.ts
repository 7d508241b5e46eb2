/**
 * Collection's own items in the main table:
 *   COLLECTIONRUN#<run> / RUN    a run: asOf, days, status and its counts (chargers add to them)
 *   JOB#collection / JOB         the watermark: no day before it holds a due installment
 *   JOB#reminders / JOB          the last day whose installments were reminded of
 */
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ddb, isConditionFailure, tableName } from '../lib/dynamodb.ts';

const runKey = (id: string) => ({ pk: `COLLECTIONRUN#${id}`, sk: 'RUN' });
const watermarkKey = (job: string) => ({ pk: `JOB#${job}`, sk: 'JOB' });
/** The jobs with a watermark: collection (first open day), reminders (last day reminded through). */
export type WatermarkJob = 'collection' | 'reminders';
/** Run records are kept 90 days. */
const RUN_TTL_S = 90 * 86_400;

export interface RunRecord {
  id: string;
  asOf: string;
  status: 'running' | 'completed';
  startedAt: string;
  finishedAt?: string;
  durationMs?: number;
  days: string[];
  /** Counter name -> count; `skipped.<reason>` for skips. */
  counts: Record<string, number>;
}

export async function createRun(run: RunRecord): Promise<void> {
  await ddb().send(
    new PutCommand({
      TableName: tableName(),
      Item: {
        ...runKey(run.id),
        type: 'collectionRun',
        ...run,
        ttl: Math.floor(Date.parse(run.startedAt) / 1000) + RUN_TTL_S,
      },
      ConditionExpression: 'attribute_not_exists(pk)',
    }),
  );
}

export async function getRun(id: string): Promise<RunRecord | undefined> {
  const { Item } = await ddb().send(
    new GetCommand({ TableName: tableName(), Key: runKey(id), ConsistentRead: true }),
  );
  if (!Item) return undefined;
  const { pk: _p, sk: _s, type: _t, ttl: _ttl, ...run } = Item;
  return run as RunRecord;
}

/**
 * Adds to a run's counters in one write (chargers call it once per batch, not per installment). A run
 * that no longer exists (expired, or a message replayed by hand) is not an error: the money moved is
 * recorded on the installments, the counters only report it.
 */
export async function addCounts(id: string, counts: Record<string, number>): Promise<void> {
  const entries = Object.entries(counts).filter(([, n]) => n !== 0);
  if (entries.length === 0) return;
  const names: Record<string, string> = { '#c': 'counts' };
  const values: Record<string, number> = { ':zero': 0 };
  const sets = entries.map(([key, n], i) => {
    names[`#k${i}`] = key;
    values[`:n${i}`] = n;
    return `#c.#k${i} = if_not_exists(#c.#k${i}, :zero) + :n${i}`;
  });
  try {
    await ddb().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: runKey(id),
        UpdateExpression: `SET ${sets.join(', ')}`,
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
  }
}

export async function finishRun(id: string, finishedAt: string, durationMs: number): Promise<void> {
  await ddb().send(
    new UpdateCommand({
      TableName: tableName(),
      Key: runKey(id),
      UpdateExpression: 'SET #s = :done, finishedAt = :at, durationMs = :ms',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeNames: { '#s': 'status' },
      ExpressionAttributeValues: { ':done': 'completed', ':at': finishedAt, ':ms': durationMs },
    }),
  );
}

export async function setRunDays(id: string, days: string[]): Promise<void> {
  await ddb().send(
    new UpdateCommand({
      TableName: tableName(),
      Key: runKey(id),
      UpdateExpression: 'SET #d = :days',
      ExpressionAttributeNames: { '#d': 'days' },
      ExpressionAttributeValues: { ':days': days },
    }),
  );
}

export async function readWatermark(job: WatermarkJob = 'collection'): Promise<string | undefined> {
  const { Item } = await ddb().send(
    new GetCommand({ TableName: tableName(), Key: watermarkKey(job), ConsistentRead: true }),
  );
  return typeof Item?.day === 'string' ? Item.day : undefined;
}

/** Moves the watermark forward only (a replay of an old day never moves it back). */
export async function advanceWatermark(
  day: string,
  at: string,
  job: WatermarkJob = 'collection',
): Promise<void> {
  try {
    await ddb().send(
      new PutCommand({
        TableName: tableName(),
        Item: { ...watermarkKey(job), type: 'jobWatermark', day, updatedAt: at },
        ConditionExpression: 'attribute_not_exists(pk) OR #d < :day',
        ExpressionAttributeNames: { '#d': 'day' },
        ExpressionAttributeValues: { ':day': day },
      }),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
  }
}
