/**
 * The shard worker: pages one `DUE#<day>#<shard>` partition and sends one charge message per
 * installment to the charge queue (in batches of 10, by the Queue adapter).
 */

import type { Queue } from '../lib/queue.ts';
import { type DueRef, isInstallmentRef, queryDuePage } from '../orders/collection-face.ts';
import { isRenewalRef } from '../subscriptions/renewal.ts';
import type { ChargeMessage, ShardMessage } from './schema.ts';

/** Items per Query page: 100 index items (ALL projection) stay well under the 1 MB page limit. */
export const SHARD_PAGE_SIZE = 100;

export interface ShardResult {
  due: number;
  /** Subscriptions renewing on the day (collect shards only). */
  renewals: number;
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
  const result: ShardResult = { due: 0, renewals: 0, itemsRead: 0, readUnits: 0 };
  let next: Record<string, unknown> | undefined;
  do {
    const page = await queryDuePage(message.day, message.shard, SHARD_PAGE_SIZE, next);
    const messages = page.refs.flatMap((ref) => messageFor(message, ref));
    await queue.send(messages);
    await sentPage(messages.length);
    result.due += page.refs.filter((ref) => isInstallmentRef(ref)).length;
    result.renewals += message.action === 'remind' ? 0 : page.refs.filter(isRenewalRef).length;
    result.itemsRead += page.itemsRead;
    result.readUnits += page.readUnits;
    next = page.next;
  } while (next);
  return result;
}

/**
 * The charger's message for a due-index entry: an installment or refund to collect (or remind of),
 * or a subscription to renew (subscriptions/renew.ts). A subscription has nothing to remind of:
 * a reminder shard sends nothing for it.
 */
function messageFor(message: ShardMessage, ref: DueRef): ChargeMessage[] {
  const { runId, asOf } = message;
  if (isRenewalRef(ref)) {
    return message.action === 'remind'
      ? []
      : [{ runId, asOf, action: 'renew', subscriptionId: ref.installmentId }];
  }
  return [{ runId, asOf, ...ref, ...(message.action ? { action: message.action } : {}) }];
}
