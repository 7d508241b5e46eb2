/**
 * The AWS Queue adapter (functions/lib/queue-sqs.ts) against a mocked SQS (no local twin here):
 * SendMessageBatch in tens (SQS's limit), the entries SQS refused sent once more, then a throw, so a
 * shard worker never loses an installment message silently.
 */
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { SqsQueue } from '../../functions/lib/queue-sqs.ts';

const sqs = mockClient(SQSClient);
afterEach(() => sqs.reset());

const URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/charges';
const messages = (n: number) => Array.from({ length: n }, (_, i) => ({ installmentId: `ins_${i}` }));

/** The bodies of each SendMessageBatch call, in order. */
const sent = () =>
  sqs.commandCalls(SendMessageBatchCommand).map((call) => {
    expect(call.args[0].input.QueueUrl).toBe(URL);
    return (call.args[0].input.Entries ?? []).map((e) => JSON.parse(e.MessageBody ?? 'null').installmentId);
  });

describe('SqsQueue', () => {
  it('sends 25 messages as batches of 10, 10 and 5, each body the message as JSON', async () => {
    sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
    await new SqsQueue(URL).send(messages(25));
    const batches = sent();
    expect(batches.map((b) => b.length)).toEqual([10, 10, 5]);
    expect(batches.flat()).toEqual(messages(25).map((m) => m.installmentId));
  });

  it('sends nothing for no messages', async () => {
    await new SqsQueue(URL).send([]);
    expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(0);
  });

  it('sends the entries SQS refused once more, and only those', async () => {
    sqs
      .on(SendMessageBatchCommand)
      .resolvesOnce({ Failed: [{ Id: '3', SenderFault: false, Code: 'InternalError' }] })
      .resolves({ Failed: [] });
    await new SqsQueue(URL).send(messages(5));
    expect(sent()).toEqual([['ins_0', 'ins_1', 'ins_2', 'ins_3', 'ins_4'], ['ins_3']]);
  });

  it('throws when SQS refuses an entry twice, and sends no later batch', async () => {
    sqs
      .on(SendMessageBatchCommand)
      .resolves({ Failed: [{ Id: '0', SenderFault: false, Code: 'InternalError' }] });
    await expect(new SqsQueue(URL).send(messages(15))).rejects.toThrow('SQS refused 1 queued message(s)');
    expect(sent()).toEqual([messages(10).map((m) => m.installmentId), ['ins_0']]);
  });
});
