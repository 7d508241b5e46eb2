/**
 * The DynamoDB Streams consumer of the main table (./stream.ts): partial batch failures through
 * Powertools batch, so one bad record is retried (and then sent to the on-failure DLQ) without
 * holding the shard back. The event source mapping filters the stream to the item types it reads.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { Context, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { clock } from '../lib/clock.ts';
import { monitorChange } from './stream.ts';

export async function monitorStream(
  event: DynamoDBStreamEvent,
  context?: Context,
): Promise<DynamoDBBatchResponse> {
  const handle = async (record: DynamoDBRecord) => {
    const image = record.dynamodb?.NewImage;
    if (!image) return;
    await monitorChange(
      unmarshall(image as Record<string, AttributeValue>),
      clock(),
      record.eventName ?? 'INSERT',
    );
  };
  return processPartialResponse(event, handle, new BatchProcessor(EventType.DynamoDBStreams), {
    ...(context ? { context } : {}),
    throwOnFullBatchFailure: false,
  });
}
