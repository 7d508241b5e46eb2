/**
 * The Queue port: the collection pipeline (dispatcher, shard workers, chargers) and the use cases
 * that hand an installment to the charger (capture, payoff) talk through it only. Adapters: SQS in
 * AWS (`queue-sqs.ts`), an in-process queue locally (`queue-memory.ts`); `queues.ts` chooses.
 * Delivery is at least once: consumers are idempotent.
 */
export interface Queue<M> {
  /** Enqueues messages (any number; adapters send them in batches of at most 10). */
  send(messages: readonly M[]): Promise<void>;
}

/** SQS's batch limit: SendMessageBatch takes at most 10 entries. */
export const BATCH_SIZE = 10;

export function* batches<T>(items: readonly T[], size = BATCH_SIZE): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}

/** Deliveries of a message before it goes to its dead-letter queue (the redrive policy, AWS and local). */
export const MAX_RECEIVES = 3;
