/**
 * The local collection pipeline: drains the in-process queues through the very SQS handlers that
 * AWS invokes (shard worker, charger), as SQS events of at most 10 records. A record reported in
 * `batchItemFailures` (or a batch whose handler threw) is delivered again, up to MAX_RECEIVES times
 * like the queues' redrive policy, then dropped (the DLQ; the handlers count it).
 */
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { chargeInstallments } from '../../functions/collection/charge-handler.ts';
import { memoryQueues } from '../../functions/collection/queues.ts';
import { setLocalDrain } from '../../functions/collection/run.ts';
import { shardWorker } from '../../functions/collection/shard-handler.ts';
import { MAX_RECEIVES } from '../../functions/lib/queue.ts';
import type { MemoryQueue } from '../../functions/lib/queue-memory.ts';
import { setLocalDelivery } from '../../functions/lib/queues.ts';

let sequence = 0;

function sqsRecord(body: unknown, receives: number): SQSRecord {
  sequence += 1;
  return {
    messageId: `local-${sequence}`,
    receiptHandle: `local-${sequence}`,
    body: JSON.stringify(body),
    attributes: {
      ApproximateReceiveCount: String(receives),
      SentTimestamp: '0',
      SenderId: 'local',
      ApproximateFirstReceiveTimestamp: '0',
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:local:000000000000:collection',
    awsRegion: 'local',
  };
}

/** Batches handled at once, as the event source mapping's concurrency does in AWS. */
const LOCAL_CONCURRENCY = 4;

/**
 * One SQS event of up to 10 messages to `handler`; failures go back to the queue, or are dropped
 * after MAX_RECEIVES deliveries (the DLQ; the handler has counted them as errors of their run).
 */
async function deliver<M>(
  queue: MemoryQueue<M>,
  handler: (event: SQSEvent) => Promise<SQSBatchResponse>,
): Promise<void> {
  const batch = queue.take(10);
  const records = batch.map((m) => sqsRecord(m.body, m.receives));
  let failed: Set<string>;
  try {
    const response = await handler({ Records: records });
    failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
  } catch {
    failed = new Set(records.map((r) => r.messageId));
  }
  const again = batch.filter((_, i) => failed.has(records[i]?.messageId ?? ''));
  queue.putBack(again.filter((m) => m.receives < MAX_RECEIVES));
}

async function drainQueue<M>(
  queue: MemoryQueue<M>,
  handler: (event: SQSEvent) => Promise<SQSBatchResponse>,
): Promise<void> {
  while (queue.size > 0) {
    const workers = Math.min(LOCAL_CONCURRENCY, Math.ceil(queue.size / 10));
    await Promise.all(Array.from({ length: workers }, () => deliver(queue, handler)));
  }
}

/**
 * Registers the local pipeline (the local runtime calls this once): the drain of a collection run,
 * and the immediate delivery of the charge queue for what capture and payoff send to the charger.
 */
export function registerLocalCollection(): void {
  const { shards, charges } = memoryQueues();
  setLocalDrain(async () => {
    while (shards.size > 0 || charges.size > 0) {
      await drainQueue(shards, shardWorker);
      await drainQueue(charges, chargeInstallments);
    }
  });
  setLocalDelivery('collection-charges', () => drainQueue(charges, chargeInstallments));
}
