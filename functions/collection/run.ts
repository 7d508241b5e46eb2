/**
 * A collection run: validate `asOf`, record the run, dispatch. In AWS the queues carry the rest
 * (shard workers, chargers) and the run is reported as it progresses; locally the in-process queues
 * are drained through the same SQS handlers before this returns, so the run completes synchronously.
 */
import { type Clock, DAY_MS, isoDay } from '../lib/clock.ts';
import { badRequest, notFound } from '../lib/errors.ts';
import { newId } from '../lib/ids.ts';
import { SKIP_REASONS } from '../orders/collection-face.ts';
import { dispatch } from './dispatch.ts';
import { collectionQueues, queuesAreRemote } from './queues.ts';
import { dispatchReminders } from './reminders.ts';
import type { CollectionRunResponse } from './schema.ts';
import type { RunRecord } from './store.ts';
import * as store from './store.ts';

/** `asOf` may be at most this far ahead of today (a cron in a time zone east of UTC). */
export const MAX_AS_OF_AHEAD_DAYS = 1;
/**
 * How far back `asOf` may reach. The first run ever plants the dispatcher's watermark at its `asOf`
 * (less the first-run lookback), and every later run walks the days from there: a run for the year
 * 1529 made every following run walk five centuries of days and time out.
 */
export const MAX_AS_OF_BEHIND_DAYS = 366;

/**
 * Drains the in-process queues through the SQS handlers (which count a message that failed every
 * delivery as an error of its run, as in AWS).
 */
export type LocalDrain = () => Promise<void>;
let localDrain: LocalDrain | undefined;
/** The local runtime registers how to drain (it may import the SQS handlers; functions/ may not). */
export function setLocalDrain(drain: LocalDrain | undefined): void {
  localDrain = drain;
}
/** Local runs one at a time: they share the in-process queues. */
let localTurn: Promise<unknown> = Promise.resolve();

export function toRunResponse(run: RunRecord): CollectionRunResponse {
  const count = (key: string) => run.counts[key] ?? 0;
  const reasons = Object.fromEntries(
    SKIP_REASONS.filter((r) => count(`skipped.${r}`) > 0).map((r) => [r, count(`skipped.${r}`)]),
  );
  return {
    id: run.id,
    object: 'collection_run',
    asOf: run.asOf,
    status: run.status,
    startedAt: run.startedAt,
    ...(run.finishedAt ? { finishedAt: run.finishedAt } : {}),
    ...(run.durationMs !== undefined ? { durationMs: run.durationMs } : {}),
    days: run.days,
    messages: {
      shards: { sent: run.progress?.shardMessages ?? 0, done: run.progress?.shardsDone ?? 0 },
      charges: { sent: run.progress?.chargeMessages ?? 0, done: run.progress?.chargesDone ?? 0 },
    },
    due: count('due'),
    charged: count('charged'),
    paid: count('paid'),
    paidFromBalance: count('paidFromBalance'),
    paidBalanceAndCard: count('paidBalanceAndCard'),
    failed: { soft: count('failedSoft'), hard: count('failedHard') },
    retried: count('retried'),
    reconciled: count('reconciled'),
    skipped: { total: Object.values(reasons).reduce((a, b) => a + b, 0), reasons },
    reminders: count('reminders'),
    cardRefunds: {
      succeeded: count('refunds.succeeded'),
      retrying: count('refunds.retrying'),
      failed: count('refunds.failed'),
    },
    fees: count('fees'),
    renewals: {
      due: count('renewals.due'),
      renewed: count('renewals.renewed'),
      canceled: count('renewals.canceled'),
      riskRefused: count('renewals.risk_refused'),
      skipped: count('renewals.skipped'),
    },
    errors: count('errors'),
  };
}

/**
 * Throws 400 `as_of_in_future` when `asOf` is more than MAX_AS_OF_AHEAD_DAYS after today, and 400
 * `as_of_too_old` when it is more than MAX_AS_OF_BEHIND_DAYS before today.
 */
export function checkAsOf(asOf: string, now: Date): void {
  const earliest = isoDay(new Date(now.getTime() - MAX_AS_OF_BEHIND_DAYS * DAY_MS));
  if (asOf < earliest) {
    throw badRequest(
      'as_of_too_old',
      `asOf may be at most ${MAX_AS_OF_BEHIND_DAYS} days before today (${isoDay(now)}).`,
      'asOf',
    );
  }
  const latest = isoDay(new Date(now.getTime() + MAX_AS_OF_AHEAD_DAYS * DAY_MS));
  if (asOf > latest) {
    throw badRequest(
      'as_of_in_future',
      `asOf may be at most ${MAX_AS_OF_AHEAD_DAYS} day after today (${isoDay(now)}).`,
      'asOf',
    );
  }
}

async function execute(asOf: string, clock: Clock): Promise<CollectionRunResponse> {
  const started = performance.now();
  const now = clock.now();
  const id = newId('collectionRun', now);
  await store.createRun({ id, asOf, status: 'running', startedAt: now.toISOString(), days: [], counts: {} });
  const { shards } = collectionQueues();
  const dispatched = await dispatch({ id, asOf }, now, shards);
  const reminders = await dispatchReminders({ id, asOf }, now, shards);
  // From here the workers' reports complete the run once every message is done (store.report).
  await store.markDispatched(id, dispatched.days, dispatched.shardMessages + reminders.shardMessages, now);
  if (!queuesAreRemote() && localDrain) {
    await localDrain();
    await store.finishRun(id, clock.now().toISOString(), Math.round(performance.now() - started));
  }
  const run = await store.getRun(id);
  if (!run) throw new Error(`collection run ${id} vanished`);
  return toRunResponse(run);
}

/**
 * Runs collection for every installment due on or before `asOf` (YYYY-MM-DD, already a valid day).
 * Locally: synchronous, `status: 'completed'` with the counts. In AWS: dispatched, `status:
 * 'running'` until the workers have reported every message done, then `completed` (with
 * `finishedAt` and `durationMs`), as `GET /v1/admin/collections/{runId}` shows. Throws 400 for an `asOf` too far ahead, before anything is read or written.
 */
export async function runCollection(asOf: string, clock: Clock): Promise<CollectionRunResponse> {
  checkAsOf(asOf, clock.now());
  if (queuesAreRemote()) return execute(asOf, clock);
  const turn = localTurn.then(() => execute(asOf, clock));
  localTurn = turn.catch(() => undefined);
  return turn;
}

export async function getCollectionRun(id: string): Promise<CollectionRunResponse> {
  const run = await store.getRun(id);
  if (!run) throw notFound(`No such collection run: ${id}.`, 'runId');
  return toRunResponse(run);
}
