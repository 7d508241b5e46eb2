/**
 * The collection pipeline's two queues (lib/queues.ts chooses SQS or in-process per queue).
 */
import type { Queue } from '../lib/queue.ts';
import type { MemoryQueue } from '../lib/queue-memory.ts';
import { memoryQueue, namedQueue, queueIsRemote } from '../lib/queues.ts';
import type { ChargeMessage, ShardMessage } from './schema.ts';

export interface CollectionQueues {
  shards: Queue<ShardMessage>;
  charges: Queue<ChargeMessage>;
}

/** True in AWS, where the shard queue is SQS and a run is asynchronous. */
export function queuesAreRemote(): boolean {
  return queueIsRemote('collection-shards');
}

/** Each queue is SQS where the function's environment names it (its grant), in-process otherwise. */
export function collectionQueues(): CollectionQueues {
  return {
    shards: namedQueue<ShardMessage>('collection-shards'),
    charges: namedQueue<ChargeMessage>('collection-charges'),
  };
}

/** The in-process queues, for the local runner that drains them. */
export function memoryQueues(): { shards: MemoryQueue<ShardMessage>; charges: MemoryQueue<ChargeMessage> } {
  return {
    shards: memoryQueue<ShardMessage>('collection-shards'),
    charges: memoryQueue<ChargeMessage>('collection-charges'),
  };
}
