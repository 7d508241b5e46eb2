/**
 * The ledger feed's Lambda: a DynamoDB Streams event source on the main table (filtered in AWS to
 * inserted `webhookEvent` items of the ledger's event types; infra/constructs/settlements.ts), and
 * locally the stream poller of infra/local/streams.ts. Reports partial batch failures: a record that
 * failed is retried, those entered already are not (and would be harmless duplicates if they were).
 */
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { clock } from '../lib/clock.ts';
import { logger } from '../lib/logger.ts';
import { type EventImage, recordFromEvent } from './feed.ts';

/** The string attributes the feed reads, from a stream image in DynamoDB JSON. */
function imageOf(record: DynamoDBRecord): EventImage | undefined {
  const image = record.dynamodb?.NewImage;
  if (record.eventName !== 'INSERT' || !image) return undefined;
  const s = (name: string) => image[name]?.S;
  return { type: s('type'), merchantId: s('merchantId'), eventType: s('eventType'), payload: s('payload') };
}

export async function recordLedgerEntries(event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> {
  const batchItemFailures: DynamoDBBatchResponse['batchItemFailures'] = [];
  // In order: a failure stops the batch there, so the retry resumes from the first failed record.
  for (const record of event.Records) {
    const image = imageOf(record);
    if (!image) continue;
    try {
      await recordFromEvent(image, clock());
    } catch (error) {
      logger.error('ledger entry not recorded; the stream retries it', { error: error as Error });
      batchItemFailures.push({ itemIdentifier: record.dynamodb?.SequenceNumber ?? '' });
      break;
    }
  }
  return { batchItemFailures };
}
