/**
 * Chooses the collection queues: SQS when the function's environment names the queues (AWS), the
 * in-process queues otherwise (the local runtime and tests), shared by the whole process.
 */
import { config } from '../lib/config.ts';
import type { Queue } from './queue.ts';
import { MemoryQueue } from './queue-memory.ts';
import { SqsQueue } from './queue-sqs.ts';
import type { ChargeMessage, ShardMessage } from './schema.ts';

export interface CollectionQueues {
  shards: Queue<ShardMessage>;
  charges: Queue<ChargeMessage>;
}

const memory = { shards: new MemoryQueue<ShardMessage>(), charges: new MemoryQueue<ChargeMessage>() };

/** True in AWS, where the shard queue is SQS and a run is asynchronous. */
export function queuesAreRemote(): boolean {
  return Boolean(config().COLLECTION_SHARD_QUEUE_URL);
}

/** Each queue is SQS where the function's environment names it (its grant), in-process otherwise. */
export function collectionQueues(): CollectionQueues {
  const { COLLECTION_SHARD_QUEUE_URL: shards, COLLECTION_CHARGE_QUEUE_URL: charges } = config();
  return {
    shards: shards ? new SqsQueue<ShardMessage>(shards) : memory.shards,
    charges: charges ? new SqsQueue<ChargeMessage>(charges) : memory.charges,
  };
}

/** The in-process queues, for the local runner that drains them. */
export function memoryQueues() {
  return memory;
}
