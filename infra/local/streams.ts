/**
 * The local twin of the main table's stream event source mapping (infra/constructs/risk-stream.ts):
 * polls DynamoDB Local's stream of the main table and hands the records the mapping's filter admits
 * (risk aggregates and audit records, inserted or modified) to the same handler AWS invokes, in
 * batches of up to 100. Started by `npm start` (with the scheduler), not by the tests, which call
 * the monitoring code directly.
 */
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { monitorStream } from '../../functions/monitoring/stream-handler.ts';

const ADMITTED_TYPES = new Set(['riskAggregate', 'audit']);

export interface StreamPoller {
  stop(): void;
}

function admitted(record: {
  eventName?: string;
  dynamodb?: { NewImage?: Record<string, unknown> };
}): boolean {
  const type = (record.dynamodb?.NewImage?.type as { S?: string } | undefined)?.S;
  return (record.eventName === 'INSERT' || record.eventName === 'MODIFY') && ADMITTED_TYPES.has(type ?? '');
}

/** Polls every `everyMs`; errors are logged and the next poll tries again. */
export function startStreamPoller(endpoint: string, tableName: string, everyMs = 1_000): StreamPoller {
  const region = process.env.AWS_REGION ?? 'us-east-1';
  const ddb = new DynamoDBClient({ endpoint, region });
  const streams = new DynamoDBStreamsClient({ endpoint, region });
  const iterators = new Map<string, string | undefined>();
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;

  async function refreshShards(): Promise<void> {
    const table = await ddb.send(new DescribeTableCommand({ TableName: tableName }));
    const arn = table.Table?.LatestStreamArn;
    if (!arn) return;
    const stream = await streams.send(new DescribeStreamCommand({ StreamArn: arn }));
    for (const shard of stream.StreamDescription?.Shards ?? []) {
      if (!shard.ShardId || iterators.has(shard.ShardId)) continue;
      const it = await streams.send(
        new GetShardIteratorCommand({
          StreamArn: arn,
          ShardId: shard.ShardId,
          // Shards seen at start-up begin now; shards that appear later are read from their start.
          ShardIteratorType: iterators.size === 0 ? 'LATEST' : 'TRIM_HORIZON',
        }),
      );
      iterators.set(shard.ShardId, it.ShardIterator);
    }
  }

  async function poll(): Promise<void> {
    await refreshShards();
    for (const [shardId, iterator] of iterators) {
      if (!iterator) continue;
      const out = await streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 100 }));
      iterators.set(shardId, out.NextShardIterator);
      const records = (out.Records ?? []).filter(admitted) as unknown as DynamoDBRecord[];
      if (records.length > 0) await monitorStream({ Records: records } as DynamoDBStreamEvent);
    }
  }

  const loop = async () => {
    try {
      await poll();
    } catch (error) {
      console.error(`stream poller: ${String(error)}`);
    }
    if (!stopped) timer = setTimeout(loop, everyMs);
  };
  timer = setTimeout(loop, 0);
  return {
    stop: () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      ddb.destroy();
      streams.destroy();
    },
  };
}
