/**
 * The named queues of the process, chosen per queue: SQS where the function's environment names the
 * queue's URL (its grant, infra/constructs/access.ts), the process-wide in-process queue otherwise
 * (the local runtime and tests). The collection pipeline uses both queues; the use cases that hand a
 * claimed installment to the charger (capture, payoff) send to `collection-charges` only.
 *
 * Locally nothing polls an in-process queue by itself: the local runtime registers how to deliver a
 * queue's messages (to the same SQS handlers AWS invokes), and a producer that needs its messages
 * handled now (a payoff waiting for its charge) calls `deliverLocally`. In AWS that is a no-op: the
 * event source mapping delivers.
 */
import { config } from './config.ts';
import type { Queue } from './queue.ts';
import { MemoryQueue } from './queue-memory.ts';
import { SqsQueue } from './queue-sqs.ts';

export type QueueName = 'collection-shards' | 'collection-charges';

/** The environment variable holding each queue's SQS URL (set by CDK; see lib/config.ts). */
export const QUEUE_URL_ENV = {
  'collection-shards': 'COLLECTION_SHARD_QUEUE_URL',
  'collection-charges': 'COLLECTION_CHARGE_QUEUE_URL',
} as const satisfies Record<QueueName, string>;

const memory = new Map<QueueName, MemoryQueue<unknown>>();
const delivery = new Map<QueueName, () => Promise<void>>();

const urlOf = (name: QueueName): string | undefined => config()[QUEUE_URL_ENV[name]];

/** True where `name` is an SQS queue (AWS): its messages are delivered by SQS, asynchronously. */
export function queueIsRemote(name: QueueName): boolean {
  return Boolean(urlOf(name));
}

/** The in-process queue `name` (local runtime and tests), created on first use. */
export function memoryQueue<M>(name: QueueName): MemoryQueue<M> {
  let queue = memory.get(name);
  if (!queue) {
    queue = new MemoryQueue<unknown>();
    memory.set(name, queue);
  }
  return queue as MemoryQueue<M>;
}

/** The queue `name`: SQS where this function was granted it, in-process otherwise. */
export function namedQueue<M>(name: QueueName): Queue<M> {
  const url = urlOf(name);
  return url ? new SqsQueue<M>(url) : memoryQueue<M>(name);
}

/** The local runtime registers how to deliver an in-process queue (`undefined` removes it). */
export function setLocalDelivery(name: QueueName, deliver: (() => Promise<void>) | undefined): void {
  if (deliver) delivery.set(name, deliver);
  else delivery.delete(name);
}

/**
 * Delivers what waits in the in-process queue `name` now, through its registered consumer. A no-op
 * in AWS (SQS delivers) and where no consumer is registered (the messages wait for the next drain).
 */
export async function deliverLocally(name: QueueName): Promise<void> {
  if (queueIsRemote(name)) return;
  await delivery.get(name)?.();
}
