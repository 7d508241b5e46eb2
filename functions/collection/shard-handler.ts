/** SQS consumer of the shard queue: one message per (day, shard) partition of the due index. */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { clock } from '../lib/clock.ts';
import { collectionQueues } from './queues.ts';
import { ShardMessage } from './schema.ts';
import { processShard } from './shard.ts';
import * as store from './store.ts';
import { countingDone, RunTally } from './tally.ts';

export async function shardWorker(event: SQSEvent, context?: Context): Promise<SQSBatchResponse> {
  const tally = new RunTally();
  const handle = async (record: SQSRecord): Promise<string> => {
    const message = ShardMessage.parse(JSON.parse(record.body));
    // Each page's charge messages are counted as soon as they are sent: a worker that dies on a later
    // page has its sent messages counted, so the run does not complete before they are done.
    const result = await processShard(message, collectionQueues().charges, (sent) =>
      store.report(message.runId, { progress: { chargeMessages: sent } }, clock().now()),
    );
    // A reminder shard reads installments due later: they are not due in this run.
    if (message.action !== 'remind') {
      tally.add(message.runId, 'due', result.due);
      tally.add(message.runId, 'renewals.due', result.renewals);
    }
    return message.runId;
  };
  // A processor per invocation: its state is per batch.
  const response = await processPartialResponse(
    event,
    countingDone(tally, 'shardsDone', handle),
    new BatchProcessor(EventType.SQS),
    { ...(context ? { context } : {}), throwOnFullBatchFailure: false },
  );
  for (const [runId, add] of tally.byRun) await store.report(runId, add, clock().now());
  return response;
}
