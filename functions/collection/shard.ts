/**
 * The shard worker: pages one `DUE#<day>#<shard>` partition and sends one charge message per
 * installment to the charge queue (in batches of 10, by the Queue adapter).
 */

import type { Queue } from '../lib/queue.ts';
import { isInstallmentRef, queryDuePage } from '../orders/collection-face.ts';
import type { ChargeMessage, ShardMessage } from './schema.ts';

/** Items per Query page: 100 index items (ALL projection) stay well under the 1 MB page limit. */
export const SHARD_PAGE_SIZE = 100;

export interface ShardResult {
  due: number;
  itemsRead: number;
  readUnits: number;
}

/**
 * Sends the partition's messages page by page; `sentPage(n)` is told after each page was queued
 * (the run's progress). Returns what was found and what reading it cost.
 */
export async function processShard(
  message: ShardMessage,
  queue: Queue<ChargeMessage>,
  sentPage: (sent: number) => Promise<void> = async () => undefined,
): Promise<ShardResult> {
  const result: ShardResult = { due: 0, itemsRead: 0, readUnits: 0 };
  let next: Record<string, unknown> | undefined;
  do {
    const page = await queryDuePage(message.day, message.shard, SHARD_PAGE_SIZE, next);
    const action = message.action ? { action: message.action } : {};
    await queue.send(
      page.refs.map((ref) => ({ runId: message.runId, asOf: message.asOf, ...ref, ...action })),
    );
    await sentPage(page.refs.length);
    result.due += page.refs.filter((ref) => isInstallmentRef(ref)).length;
    result.itemsRead += page.itemsRead;
    result.readUnits += page.readUnits;
    next = page.next;
  } while (next);
  return result;
}
