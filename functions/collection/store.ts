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

/**
 * How far a run has got, for knowing when it is over (in AWS its work is spread over queues):
 * the dispatcher sets `dispatched` and the shard messages it sent; each shard worker adds the charge
 * messages it sent and one done shard; each charger batch adds its done messages (a message that
 * failed its last delivery counts done, and as an error: it is in the DLQ). The run completes when
 * every message sent is done.
 */
export interface RunProgress {
  shardMessages: number;
  shardsDone: number;
  chargeMessages: number;
  chargesDone: number;
}
export type ProgressKey = keyof RunProgress;

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
  /** True once the dispatcher has sent every shard message (and set `progress.shardMessages`). */
  dispatched?: boolean;
  progress?: RunProgress;
}

const NO_PROGRESS: RunProgress = { shardMessages: 0, shardsDone: 0, chargeMessages: 0, chargesDone: 0 };

export async function createRun(run: RunRecord): Promise<void> {
  await ddb().send(
    new PutCommand({
      TableName: tableName(),
      Item: {
        ...runKey(run.id),
        type: 'collectionRun',
        ...run,
        dispatched: false,
        progress: NO_PROGRESS,
        startedAtMs: Date.parse(run.startedAt),
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
  const { pk: _p, sk: _s, type: _t, ttl: _ttl, startedAtMs: _ms, ...run } = Item;
  return run as RunRecord;
}

/** Every message the run sent is done (and the dispatcher has sent them all). */
export function isDone(run: Pick<RunRecord, 'dispatched' | 'progress'>): boolean {
  const p = run.progress;
  return (
    run.dispatched === true &&
    p !== undefined &&
    p.shardsDone >= p.shardMessages &&
    p.chargesDone >= p.chargeMessages
  );
}

/**
 * Marks the run `completed` at `now` if it is done and still running (a conditional write: of two
 * workers finishing at once, one completes it). The duration is measured from `startedAt`.
 */
async function completeIfDone(id: string, now: Date): Promise<void> {
  try {
    await ddb().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: runKey(id),
        UpdateExpression: 'SET #s = :done, finishedAt = :at, durationMs = :ms - startedAtMs',
        ConditionExpression:
          '#s = :running AND dispatched = :yes AND #p.shardsDone >= #p.shardMessages AND ' +
          '#p.chargesDone >= #p.chargeMessages',
        ExpressionAttributeNames: { '#s': 'status', '#p': 'progress' },
        ExpressionAttributeValues: {
          ':done': 'completed',
          ':running': 'running',
          ':yes': true,
          ':at': now.toISOString(),
          ':ms': now.getTime(),
        },
      }),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
  }
}

/** What a worker reports to a run: counters for the operator, progress for completion. */
export interface RunReport {
  counts?: Record<string, number>;
  progress?: Partial<RunProgress>;
}

/**
 * Adds to a run's counters and progress in one write (workers call it once per batch or page, not
 * per installment), then completes the run if that was its last piece of work. A run that no longer
 * exists (expired, or a message replayed by hand) is not an error: the money moved is recorded on
 * the installments, the counters only report it.
 */
export async function report(id: string, add: RunReport, now: Date): Promise<void> {
  const names: Record<string, string> = {};
  const values: Record<string, number> = { ':zero': 0 };
  const sets: string[] = [];
  for (const [map, of] of [
    ['counts', add.counts ?? {}],
    ['progress', add.progress ?? {}],
  ] as const) {
    for (const [key, n] of Object.entries(of)) {
      if (!n) continue;
      const i = sets.length;
      names[`#${map}`] = map;
      names[`#k${i}`] = key;
      values[`:n${i}`] = n;
      sets.push(`#${map}.#k${i} = if_not_exists(#${map}.#k${i}, :zero) + :n${i}`);
    }
  }
  if (sets.length === 0) return;
  let after: Record<string, unknown> | undefined;
  try {
    const out = await ddb().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: runKey(id),
        UpdateExpression: `SET ${sets.join(', ')}`,
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ReturnValues: 'ALL_NEW',
      }),
    );
    after = out.Attributes;
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    return;
  }
  if (after?.status === 'running' && isDone(after as Pick<RunRecord, 'dispatched' | 'progress'>)) {
    await completeIfDone(id, now);
  }
}

/** The dispatcher has sent all `shardMessages` of the run, for `days`; completes an empty run. */
export async function markDispatched(id: string, days: string[], shardMessages: number, now: Date) {
  await ddb().send(
    new UpdateCommand({
      TableName: tableName(),
      Key: runKey(id),
      UpdateExpression: 'SET #d = :days, dispatched = :yes, #p.shardMessages = :n',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeNames: { '#d': 'days', '#p': 'progress' },
      ExpressionAttributeValues: { ':days': days, ':yes': true, ':n': shardMessages },
    }),
  );
  await completeIfDone(id, now);
}

/** A local run, drained synchronously: completed now, with the duration measured around it. */
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
