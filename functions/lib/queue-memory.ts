import { batches, type Queue } from './queue.ts';

/**
 * The local Queue adapter: messages wait in memory until the local runner takes them and hands them
 * to the same SQS handlers that AWS invokes, as SQS events of at most 10 records.
 */
export class MemoryQueue<M> implements Queue<M> {
  readonly #messages: Array<{ body: M; receives: number }> = [];

  async send(messages: readonly M[]): Promise<void> {
    for (const batch of batches(messages))
      for (const body of batch) this.#messages.push({ body, receives: 0 });
  }

  get size(): number {
    return this.#messages.length;
  }

  /** Takes up to `max` messages, counting a receive on each (as SQS's ApproximateReceiveCount). */
  take(max: number): Array<{ body: M; receives: number }> {
    return this.#messages.splice(0, max).map((m) => ({ ...m, receives: m.receives + 1 }));
  }

  /** Puts messages back after a failed delivery (SQS's visibility timeout elapsing). */
  putBack(messages: Array<{ body: M; receives: number }>): void {
    this.#messages.push(...messages);
  }
}
