import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { config } from './config.ts';
import { batches, type Queue } from './queue.ts';

let client: SQSClient | undefined;

/** One SQS client per container, created on first use. */
function sqs(): SQSClient {
  client ??= new SQSClient({ region: config().AWS_REGION, maxAttempts: 3 });
  return client;
}

/** The AWS Queue adapter: SendMessageBatch in tens; entries SQS refused are sent once more, then it throws. */
export class SqsQueue<M> implements Queue<M> {
  readonly #url: string;

  constructor(url: string) {
    this.#url = url;
  }

  async send(messages: readonly M[]): Promise<void> {
    for (const batch of batches(messages)) {
      let entries = batch.map((m, i) => ({ Id: String(i), MessageBody: JSON.stringify(m) }));
      for (let round = 0; round < 2 && entries.length > 0; round += 1) {
        const out = await sqs().send(new SendMessageBatchCommand({ QueueUrl: this.#url, Entries: entries }));
        const failed = new Set((out.Failed ?? []).map((f) => f.Id));
        entries = entries.filter((e) => failed.has(e.Id));
      }
      if (entries.length > 0) throw new Error(`SQS refused ${entries.length} queued message(s)`);
    }
  }
}
