/**
 * The reminder side of a run: one `remind` message per non-empty (day, shard) of the `due` index for
 * the days up to REMINDER_DAYS_AHEAD after `asOf` not yet reminded of. A daily run reads one new day
 * (`asOf + 3`); a run after missed days catches up, from the day after the reminder watermark; a
 * rerun or a replay of an earlier day reads its whole window again (nothing is sent twice). The
 * shard workers page those partitions as they do for collection; the chargers send the reminders
 * (at most once per installment and due date, orders/notices.ts). Never a Scan.
 */
import { addDays } from '../lib/clock.ts';
import type { Queue } from '../lib/queue.ts';
import { DUE_SHARDS, REMINDER_DAYS_AHEAD, shardHasDue } from '../orders/collection-face.ts';
import { daysBetween } from './dispatch.ts';
import type { ShardMessage } from './schema.ts';
import * as store from './store.ts';

/** Sends the `remind` shard messages of a run; returns the days they cover and the messages sent. */
export async function dispatchReminders(
  run: { id: string; asOf: string },
  now: Date,
  queue: Queue<ShardMessage>,
): Promise<{ days: string[]; shardMessages: number }> {
  const last = addDays(run.asOf, REMINDER_DAYS_AHEAD);
  const reminded = await store.readWatermark('reminders');
  // A replay of an earlier day (watermark already past its window) reads the whole window again:
  // the reminders themselves are sent at most once each.
  const fresh = reminded === undefined || reminded >= last ? run.asOf : reminded;
  const first = [addDays(fresh, 1), addDays(run.asOf, 1)].sort().at(-1) ?? addDays(run.asOf, 1);
  const messages: ShardMessage[] = [];
  const days = first <= last ? [...daysBetween(first, last)] : [];
  for (const day of days) {
    const shards = Array.from({ length: DUE_SHARDS }, (_, shard) => shard);
    const checks = await Promise.all(shards.map((shard) => shardHasDue(day, shard)));
    checks.forEach((check, shard) => {
      if (check.due) messages.push({ runId: run.id, asOf: run.asOf, day, shard, action: 'remind' });
    });
  }
  await queue.send(messages);
  if (days.length > 0) await store.advanceWatermark(last, now.toISOString(), 'reminders');
  return { days, shardMessages: messages.length };
}
