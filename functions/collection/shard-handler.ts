/** SQS consumer of the shard queue: one message per (day, shard) partition of the due index. */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { collectionQueues } from './queues.ts';
import { ShardMessage } from './schema.ts';
import { processShard } from './shard.ts';
import * as store from './store.ts';

export async function shardWorker(event: SQSEvent, context?: Context): Promise<SQSBatchResponse> {
  const due = new Map<string, number>();
  const handle = async (record: SQSRecord) => {
    const message = ShardMessage.parse(JSON.parse(record.body));
    const result = await processShard(message, collectionQueues().charges);
    // A reminder shard reads installments due later: they are not due in this run.
    if (message.action !== 'remind') due.set(message.runId, (due.get(message.runId) ?? 0) + result.due);
  };
  // A processor per invocation: its state is per batch.
  const response = await processPartialResponse(event, handle, new BatchProcessor(EventType.SQS), {
    ...(context ? { context } : {}),
    throwOnFullBatchFailure: false,
  });
  for (const [runId, n] of due) await store.addCounts(runId, { due: n });
  return response;
}
