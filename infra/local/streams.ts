/**
 * The local twin of a DynamoDB Streams event source mapping: reads the main table's stream from
 * DynamoDB Local (which serves the Streams API at its own endpoint) and hands the records, in
 * order, to the same Lambda handler AWS would invoke (the settlements ledger feed). A record the
 * handler reports as failed is read again on the next drain, as the event source mapping retries it.
 * Local only: the Streams API is called with DynamoDB Local's JSON protocol (it accepts any
 * credentials), so the runtime needs no Streams SDK client.
 */
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';

type StreamHandler = (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse>;

interface Shard {
  ShardId: string;
  SequenceNumberRange?: { EndingSequenceNumber?: string };
}

export interface StreamPoller {
  /** Reads everything written so far and hands it to the handler; resolves with the records read. */
  drain(): Promise<number>;
  stop(): void;
}

export function startStreamPoller(options: {
  endpoint: string;
  tableName: string;
  handler: StreamHandler;
  /** Poll on a timer too (npm start); tests drain explicitly. */
  everyMs?: number;
  log?: (line: string) => void;
}): StreamPoller {
  // The signature is not checked, but the access key and region in the credential scope pick the
  // database when DynamoDB Local runs without -sharedDb (the test run): the same as the table's.
  const scope = `${process.env.AWS_ACCESS_KEY_ID ?? 'local'}/20260101/${process.env.AWS_REGION ?? 'us-east-1'}`;
  const call = async <T>(operation: string, body: unknown): Promise<T> => {
    const res = await fetch(options.endpoint, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-amz-json-1.0',
        'X-Amz-Target': `DynamoDBStreams_20120810.${operation}`,
        Authorization: `AWS4-HMAC-SHA256 Credential=${scope}/dynamodb/aws4_request, SignedHeaders=host, Signature=0`,
      },
      body: JSON.stringify(body),
    });
    const json = (await res.json()) as T & { message?: string };
    if (!res.ok) throw new Error(`DynamoDB Streams ${operation}: ${res.status} ${json.message ?? ''}`);
    return json;
  };

  let streamArn: string | undefined;
  const processed = new Map<string, string>();
  let turn: Promise<unknown> = Promise.resolve();

  const arn = async () => {
    if (streamArn) return streamArn;
    const client = new DynamoDBClient({
      endpoint: options.endpoint,
      region: process.env.AWS_REGION ?? 'us-east-1',
    });
    try {
      const { Table } = await client.send(new DescribeTableCommand({ TableName: options.tableName }));
      streamArn = Table?.LatestStreamArn;
    } finally {
      client.destroy();
    }
    if (!streamArn) throw new Error(`table ${options.tableName} has no stream`);
    return streamArn;
  };

  /** Reads one shard from after its last processed record; returns the records handed over. */
  const drainShard = async (stream: string, shard: Shard): Promise<number> => {
    const last = processed.get(shard.ShardId);
    let { ShardIterator: iterator } = await call<{ ShardIterator?: string }>('GetShardIterator', {
      StreamArn: stream,
      ShardId: shard.ShardId,
      ...(last
        ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: last }
        : { ShardIteratorType: 'TRIM_HORIZON' }),
    });
    let count = 0;
    while (iterator) {
      const page = await call<{ Records?: DynamoDBRecord[]; NextShardIterator?: string }>('GetRecords', {
        ShardIterator: iterator,
        Limit: 100,
      });
      const records = page.Records ?? [];
      if (records.length === 0) break;
      const { batchItemFailures } = await options.handler({ Records: records });
      const failed = new Set(batchItemFailures.map((f) => f.itemIdentifier));
      for (const record of records) {
        const sequence = record.dynamodb?.SequenceNumber ?? '';
        if (failed.has(sequence)) return count;
        processed.set(shard.ShardId, sequence);
        count += 1;
      }
      iterator = page.NextShardIterator;
    }
    return count;
  };

  const drainOnce = async () => {
    const stream = await arn();
    const { StreamDescription } = await call<{ StreamDescription: { Shards?: Shard[] } }>('DescribeStream', {
      StreamArn: stream,
    });
    let count = 0;
    for (const shard of StreamDescription.Shards ?? []) count += await drainShard(stream, shard);
    return count;
  };

  const drain = () => {
    const next = turn.then(drainOnce, drainOnce);
    turn = next.catch(() => undefined);
    return next;
  };

  const timer = options.everyMs
    ? setInterval(() => {
        drain().catch((error: Error) => options.log?.(`stream poll failed: ${error.message}`));
      }, options.everyMs)
    : undefined;
  timer?.unref();
  return { drain, stop: () => timer && clearInterval(timer) };
}
