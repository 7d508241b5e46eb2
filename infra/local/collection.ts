/**
 * The local collection pipeline: drains the in-process queues through the very SQS handlers that
 * AWS invokes (shard worker, charger), as SQS events of at most 10 records. A record reported in
 * `batchItemFailures` (or a batch whose handler threw) is delivered again, up to MAX_RECEIVES times
 * like the queues' redrive policy, then counted dead (the DLQ).
 */
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { chargeInstallments } from '../../functions/collection/charge-handler.ts';
import { MAX_RECEIVES } from '../../functions/collection/queue.ts';
import type { MemoryQueue } from '../../functions/collection/queue-memory.ts';
import { memoryQueues } from '../../functions/collection/queues.ts';
import { setLocalDrain } from '../../functions/collection/run.ts';
import { shardWorker } from '../../functions/collection/shard-handler.ts';

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

/** One SQS event of up to 10 messages to `handler`; failures go back to the queue or die. */
async function deliver<M extends { runId: string }>(
  queue: MemoryQueue<M>,
  handler: (event: SQSEvent) => Promise<SQSBatchResponse>,
  dead: string[],
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
  for (const message of again) if (message.receives >= MAX_RECEIVES) dead.push(message.body.runId);
  queue.putBack(again.filter((m) => m.receives < MAX_RECEIVES));
}

async function drainQueue<M extends { runId: string }>(
  queue: MemoryQueue<M>,
  handler: (event: SQSEvent) => Promise<SQSBatchResponse>,
  dead: string[],
): Promise<void> {
  while (queue.size > 0) {
    const workers = Math.min(LOCAL_CONCURRENCY, Math.ceil(queue.size / 10));
    await Promise.all(Array.from({ length: workers }, () => deliver(queue, handler, dead)));
  }
}

/** Registers the drain with the collection run (the local runtime calls this once). */
export function registerLocalCollection(): void {
  setLocalDrain(async () => {
    const { shards, charges } = memoryQueues();
    const dead: string[] = [];
    while (shards.size > 0 || charges.size > 0) {
      await drainQueue(shards, shardWorker, dead);
      await drainQueue(charges, chargeInstallments, dead);
    }
    return { dead };
  });
}
