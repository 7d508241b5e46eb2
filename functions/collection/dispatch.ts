/**
 * The dispatcher: which (day, shard) partitions of the `due` index a run must read, one message
 * each to the shard queue. Days come from the watermark (the first day that may still hold a due
 * installment, docs/adr/0010-collection-open-days.md) up to `asOf`; a day's shard is sent only if
 * its partition holds something (one Query of Limit 1 each). Never a Scan.
 */
import { DAY_MS, isoDay } from '../lib/clock.ts';
import type { Queue } from '../lib/queue.ts';
import { DUE_SHARDS, shardHasDue } from '../orders/collection-face.ts';
import type { ShardMessage } from './schema.ts';
import * as store from './store.ts';

/** With no watermark yet (the first run ever), how far back the dispatcher looks. */
export const FIRST_RUN_LOOKBACK_DAYS = 31;

export function* daysBetween(from: string, to: string): Generator<string> {
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= Date.parse(`${to}T00:00:00Z`); t += DAY_MS) {
    yield isoDay(new Date(t));
  }
}

/** The earlier of two YYYY-MM-DD days (they compare as strings). */
const earlier = (a: string, b: string) => [a, b].sort()[0] ?? a;

export interface Dispatched {
  /** Days with at least one non-empty shard. */
  days: string[];
  shardMessages: number;
  /** Index items the emptiness checks read, and the read capacity they consumed. */
  itemsRead: number;
  readUnits: number;
}

/**
 * Sends one ShardMessage per non-empty (day, shard) with day <= asOf, then moves the watermark to
 * the first day still holding something, never past `today` (captures index today's installments).
 */
export async function dispatch(
  run: { id: string; asOf: string },
  now: Date,
  queue: Queue<ShardMessage>,
): Promise<Dispatched> {
  const today = isoDay(now);
  const watermark = await store.readWatermark();
  const lookback = isoDay(new Date(Date.parse(`${run.asOf}T00:00:00Z`) - FIRST_RUN_LOOKBACK_DAYS * DAY_MS));
  const start = watermark === undefined ? lookback : earlier(watermark, run.asOf);
  const messages: ShardMessage[] = [];
  const days: string[] = [];
  let readUnits = 0;
  let itemsRead = 0;
  for (const day of daysBetween(start, run.asOf)) {
    const shards = Array.from({ length: DUE_SHARDS }, (_, shard) => shard);
    const checks = await Promise.all(shards.map((shard) => shardHasDue(day, shard)));
    checks.forEach((check, shard) => {
      readUnits += check.readUnits;
      itemsRead += check.itemsRead;
      if (check.due) messages.push({ runId: run.id, asOf: run.asOf, day, shard });
    });
    if (checks.some((c) => c.due)) days.push(day);
  }
  await queue.send(messages);
  const firstOpen = days[0] ?? run.asOf;
  await store.advanceWatermark(earlier(firstOpen, today), now.toISOString());
  return { days, shardMessages: messages.length, itemsRead, readUnits };
}
