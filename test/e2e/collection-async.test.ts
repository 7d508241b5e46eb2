import type { SQSEvent } from 'aws-lambda';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { chargeInstallments } from '../../functions/collection/charge-handler.ts';
import { memoryQueues } from '../../functions/collection/queues.ts';
import { setLocalDrain } from '../../functions/collection/run.ts';
import { shardWorker } from '../../functions/collection/shard-handler.ts';
import { DAY_MS, fixedClock, isoDay } from '../../functions/lib/clock.ts';
import { listOutbox, type Notifier, notifier, setNotifier } from '../../functions/lib/notifier.ts';
import { NOTICE_MAX_ATTEMPTS, setDirectNotices } from '../../functions/lib/notify-once.ts';
import { setLocalDelivery } from '../../functions/lib/queues.ts';
import { deliverNotices } from '../../functions/notices/job.ts';
import { setPayoffWaitMs } from '../../functions/orders/payoff.ts';
import { type CardProcessor, cardProcessor, setCardProcessor } from '../../functions/payments/processor.ts';
import { registerLocalCollection } from '../../infra/local/collection.ts';
import { appWithClock } from '../support/app.ts';
import { checkoutFixtures, type Json } from '../support/checkout.ts';

// The asynchronous (AWS) shape of the pipeline, played locally: no drain and no immediate delivery,
// so the test delivers each queue's messages to the SQS handlers itself, as the event source
// mappings would, and watches what the API reports in between.
const START = Date.parse('2026-06-01T10:00:00Z');
const clock = fixedClock(new Date(START));
const testApp = appWithClock(clock);
const { newMerchant, newShopper, capturedOrder } = checkoutFixtures(testApp);

type Installment = { id: string; status: string; attempts: number; amount: number };
type Order = Json & { id: string; status: string; installments: Installment[] };
type Run = Json & {
  id: string;
  status: string;
  paid: number;
  errors: number;
  finishedAt?: string;
  messages: { shards: { sent: number; done: number }; charges: { sent: number; done: number } };
};

/** Like AWS: messages wait in their queue until someone delivers them. */
function asInAws() {
  setLocalDrain(undefined);
  setLocalDelivery('collection-charges', undefined);
}
afterEach(() => {
  registerLocalCollection();
  setDirectNotices(undefined);
  setNotifier(undefined);
  setPayoffWaitMs(undefined);
});
afterAll(() => setCardProcessor(undefined));

let sequence = 0;
/** Up to `max` waiting messages of a queue as one SQS event (`receives`: ApproximateReceiveCount). */
function take(queue: 'shards' | 'charges', max = 10, receives = 1): SQSEvent {
  const messages = memoryQueues()[queue].take(max);
  return {
    Records: messages.map((m) => {
      sequence += 1;
      return {
        messageId: `test-${sequence}`,
        receiptHandle: `test-${sequence}`,
        body: JSON.stringify(m.body),
        attributes: {
          ApproximateReceiveCount: String(receives),
          SentTimestamp: '0',
          SenderId: 'test',
          ApproximateFirstReceiveTimestamp: '0',
        },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn:aws:sqs:local:000000000000:test',
        awsRegion: 'local',
      };
    }),
  };
}

const getRun = async (id: string) =>
  (await testApp().call<Run>('GET', `/v1/admin/collections/${id}`, { auth: testApp().operator })).json;

async function getOrder(apiKey: string, id: string): Promise<Order> {
  const res = await testApp().call<Order>('GET', `/v1/orders/${id}`, { auth: apiKey });
  expect(res.status, res.text).toBe(200);
  return res.json;
}

/** Three captured pay_in_4 orders (first installments paid at capture), then the clock at +14 days. */
async function threeOrdersDueIn14Days() {
  clock.set(new Date(START));
  const merchant = await newMerchant();
  const orders = [];
  for (let i = 0; i < 3; i += 1) orders.push(await capturedOrder(merchant, await newShopper()));
  clock.set(new Date(START + 14 * DAY_MS));
  return { merchant, orders };
}

async function startRun(): Promise<Run> {
  const res = await testApp().call<Run>('POST', '/v1/admin/collections', {
    auth: testApp().operator,
    body: { asOf: isoDay(clock.now()) },
  });
  expect(res.status, res.text).toBe(202);
  expect(res.json.status).toBe('running');
  return res.json;
}

describe('a run in AWS completes when its last message is done', { timeout: 240_000 }, () => {
  it('a run with nothing to do completes at once (the first run, before any order)', async () => {
    clock.set(new Date(START));
    asInAws();
    const res = await testApp().call<Run>('POST', '/v1/admin/collections', {
      auth: testApp().operator,
      body: { asOf: isoDay(clock.now()) },
    });
    expect(res.status, res.text).toBe(200);
    expect(res.json).toMatchObject({ status: 'completed', messages: { shards: { sent: 0, done: 0 } } });
  });
  it('running while shard and charge messages are in flight; completed (finishedAt, durationMs) after the last charge batch', async () => {
    const { merchant, orders } = await threeOrdersDueIn14Days();
    asInAws();
    const run = await startRun();
    expect(run.messages.shards.sent).toBeGreaterThan(0);
    expect(run.messages.shards.done).toBe(0);

    expect((await shardWorker(take('shards', 100))).batchItemFailures).toEqual([]);
    let now = await getRun(run.id);
    expect(now.status).toBe('running');
    expect(now.messages.shards.done).toBe(now.messages.shards.sent);
    expect(now.messages.charges).toEqual({ sent: 3, done: 0 });

    await chargeInstallments(take('charges', 2));
    now = await getRun(run.id);
    expect(now).toMatchObject({ status: 'running', paid: 2, messages: { charges: { sent: 3, done: 2 } } });
    expect(now.finishedAt).toBeUndefined();

    await chargeInstallments(take('charges', 10));
    now = await getRun(run.id);
    expect(now).toMatchObject({
      status: 'completed',
      paid: 3,
      errors: 0,
      messages: { charges: { sent: 3, done: 3 } },
    });
    expect(now.finishedAt).toBe(clock.now().toISOString());
    expect(now.durationMs).toBe(0);
    for (const order of orders) {
      expect((await getOrder(merchant.apiKey, order.id)).installments[1]?.status).toBe('paid');
    }
  });

  it('a message that fails its last delivery (now in the DLQ) counts done and as an error: the run still completes', async () => {
    await threeOrdersDueIn14Days();
    asInAws();
    const run = await startRun();
    await shardWorker(take('shards', 100));
    const real = cardProcessor();
    setCardProcessor({
      ...real,
      charge: async () => {
        throw new Error('processor unreachable');
      },
    } satisfies CardProcessor);
    // Delivered for the 3rd time (MAX_RECEIVES): the failure sends it to the DLQ.
    const failed = await chargeInstallments(take('charges', 1, 3));
    expect(failed.batchItemFailures).toHaveLength(1);
    setCardProcessor(real);
    expect(await getRun(run.id)).toMatchObject({ status: 'running', errors: 1 });
    await chargeInstallments(take('charges', 10));
    expect(await getRun(run.id)).toMatchObject({
      status: 'completed',
      paid: 2,
      errors: 1,
      messages: { charges: { sent: 3, done: 3 } },
    });
  });
});

describe('capture and payoff hand their charges to the charger', { timeout: 240_000 }, () => {
  it('a capture answers with its first installment charging; the charger pays it when its message is delivered', async () => {
    clock.set(new Date(START + 500 * DAY_MS));
    const merchant = await newMerchant();
    const shopper = await newShopper();
    asInAws();
    const order = await capturedOrder(merchant, shopper);
    expect((await getOrder(merchant.apiKey, order.id)).installments[0]).toMatchObject({
      status: 'charging',
      attempts: 1,
    });
    await chargeInstallments(take('charges'));
    expect((await getOrder(merchant.apiKey, order.id)).installments[0]?.status).toBe('paid');
    // A redelivered message charges nothing more.
    expect(memoryQueues().charges.size).toBe(0);
  });

  it('a payoff whose charge has no outcome in time answers processing and charges nothing after it', async () => {
    clock.set(new Date(START + 600 * DAY_MS));
    const merchant = await newMerchant();
    const shopper = await newShopper();
    const order = await capturedOrder(merchant, shopper);
    asInAws();
    setPayoffWaitMs(100);
    const payoff = await testApp().call<Json & { status: string; installments: Array<{ status: string }> }>(
      'POST',
      `/v1/me/orders/${order.id}/payoff`,
      { auth: shopper.sessionToken, headers: { 'Idempotency-Key': `payoff-${order.id}-1` } },
    );
    expect(payoff.status, payoff.text).toBe(200);
    expect(payoff.json.status).toBe('processing');
    expect(payoff.json.installments.map((l) => l.status)).toEqual(['pending']);
    expect(memoryQueues().charges.size).toBe(1);
    await chargeInstallments(take('charges'));

    registerLocalCollection();
    const rest = await testApp().call<Json & { status: string; order: { status: string } }>(
      'POST',
      `/v1/me/orders/${order.id}/payoff`,
      { auth: shopper.sessionToken, headers: { 'Idempotency-Key': `payoff-${order.id}-2` } },
    );
    expect(rest.status, rest.text).toBe(200);
    expect(rest.json).toMatchObject({ status: 'succeeded', order: { status: 'paid_off' } });
  });
});

describe('notices from the charger reach the shopper through the outbox', { timeout: 240_000 }, () => {
  const receipts = async (customerId: string) =>
    (await listOutbox(customerId, 50)).filter((m) => m.subject.startsWith('Receipt')).length;

  it('a receipt stored by a charger that cannot notify is sent by the delivery job, once', async () => {
    clock.set(new Date(START + 700 * DAY_MS));
    const merchant = await newMerchant();
    const shopper = await newShopper();
    setDirectNotices(false);
    await capturedOrder(merchant, shopper);
    expect(await receipts(shopper.customerId)).toBe(0);
    expect(await deliverNotices()).toMatchObject({ sent: 1, retrying: 0, failed: 0 });
    expect(await receipts(shopper.customerId)).toBe(1);
    expect(await deliverNotices()).toMatchObject({ sent: 0 });
    expect(await receipts(shopper.customerId)).toBe(1);
  });

  it('a failed send is retried by the job, and given up after NOTICE_MAX_ATTEMPTS', async () => {
    clock.set(new Date(START + 800 * DAY_MS));
    const merchant = await newMerchant();
    const shopper = await newShopper();
    const working = notifier();
    let refusals = 1;
    const flaky: Notifier = {
      send: async (n) => {
        if (n.kind === 'payment_notice' && refusals > 0) {
          refusals -= 1;
          throw new Error('SES throttled');
        }
        return working.send(n);
      },
    };
    setNotifier(flaky);
    await capturedOrder(merchant, shopper);
    expect(await receipts(shopper.customerId)).toBe(0);
    // Leased for 5 minutes after the failed attempt: not retried before.
    expect(await deliverNotices()).toMatchObject({ sent: 0 });
    clock.set(new Date(clock.now().getTime() + 6 * 60_000));
    expect(await deliverNotices()).toMatchObject({ sent: 1 });
    expect(await receipts(shopper.customerId)).toBe(1);

    // A notice that never goes out is given up after NOTICE_MAX_ATTEMPTS sends.
    const other = await newShopper();
    refusals = Number.POSITIVE_INFINITY;
    await capturedOrder(merchant, other);
    let failed = 0;
    for (let i = 1; i < NOTICE_MAX_ATTEMPTS + 2; i += 1) {
      clock.set(new Date(clock.now().getTime() + 6 * 60_000));
      failed += (await deliverNotices()).failed;
    }
    expect(failed).toBe(1);
    expect(await receipts(other.customerId)).toBe(0);
  });
});
