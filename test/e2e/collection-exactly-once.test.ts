import type { SQSEvent } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { chargeInstallments } from '../../functions/collection/charge-handler.ts';
import { DAY_MS, fixedClock, isoDay } from '../../functions/lib/clock.ts';
import { CHARGING_TIMEOUT_MS } from '../../functions/orders/collection-face.ts';
import {
  type CardProcessor,
  type ChargeRequest,
  cardProcessor,
  setCardProcessor,
} from '../../functions/payments/processor.ts';
import { appWithClock } from '../support/app.ts';
import { checkoutFixtures, type Json } from '../support/checkout.ts';

const START = Date.parse('2026-05-04T10:00:00Z');
const clock = fixedClock(new Date(START));
const testApp = appWithClock(clock);
let real: CardProcessor;
beforeAll(() => {
  real = cardProcessor();
});
afterEach(() => setCardProcessor(real));
afterAll(() => setCardProcessor(undefined));

const { newMerchant, newShopper, capturedOrder: captureOrder } = checkoutFixtures(testApp);

type Installment = { id: string; status: string; attempts: number };
type Order = Json & { id: string; status: string; installments: Installment[] };

/** The real sandbox processor, counting the charges that reach it; `crash` throws after the charge. */
function counting(options: { crash?: boolean } = {}) {
  const charges: ChargeRequest[] = [];
  const processor: CardProcessor = {
    charge: async (request) => {
      charges.push(request);
      const result = await real.charge(request);
      if (options.crash) throw new Error('injected crash: the charger died after the processor charged');
      return result;
    },
    refund: (request) => real.refund(request),
    chargeOutcome: (key) => real.chargeOutcome(key),
  };
  return { processor, charges };
}

/** A captured pay_in_4 order (first installment paid at capture) with the clock at the capture. */
async function capturedOrder(merchant: { apiKey: string }, at: number) {
  clock.set(new Date(at));
  return (await captureOrder(merchant, await newShopper())).id;
}

async function getOrder(apiKey: string, id: string): Promise<Order> {
  const res = await testApp().call<Order>('GET', `/v1/orders/${id}`, { auth: apiKey });
  return res.json;
}

async function collect(): Promise<Json & { charged: number; paid: number; reconciled: number }> {
  const res = await testApp().call<Json & { charged: number; paid: number; reconciled: number }>(
    'POST',
    '/v1/admin/collections',
    { auth: testApp().operator, body: { asOf: isoDay(clock.now()) } },
  );
  expect(res.status, res.text).toBe(200);
  return res.json;
}

async function processorKeys(installmentId: string): Promise<string[]> {
  const { main = [] } = await testApp().scanAll();
  return main
    .map((item) => String(item.pk))
    .filter((pk) => pk.startsWith(`SANDBOX#CHARGE#${installmentId}#`));
}

describe('exactly once', { timeout: 240_000 }, () => {
  it('a charger that dies between the processor charge and the state write: the rerun settles it from the processor, nobody is charged twice', async () => {
    const merchant = await newMerchant();
    const orderId = await capturedOrder(merchant, START);
    const second = (await getOrder(merchant.apiKey, orderId)).installments[1] as Installment;

    clock.set(new Date(START + 14 * DAY_MS));
    const crashing = counting({ crash: true });
    setCardProcessor(crashing.processor);
    const crashed = await collect();
    // The message was redelivered after the crash, and found the installment still being charged.
    expect(crashed).toMatchObject({ charged: 0, paid: 0, skipped: { reasons: { in_flight: 1 } } });
    expect(crashing.charges).toHaveLength(1);
    let order = await getOrder(merchant.apiKey, orderId);
    expect(order.installments[1]).toMatchObject({ status: 'charging', attempts: 1 });

    // Rerun before the timeout: still in flight, left alone.
    const healthy = counting();
    setCardProcessor(healthy.processor);
    expect(await collect()).toMatchObject({ charged: 0, reconciled: 0 });
    // After the timeout the reconciler asks the processor for that key's outcome: no new charge.
    clock.advance(CHARGING_TIMEOUT_MS + 60_000);
    expect(await collect()).toMatchObject({ charged: 0, reconciled: 1, paid: 1 });
    expect(healthy.charges).toHaveLength(0);
    order = await getOrder(merchant.apiKey, orderId);
    expect(order.installments[1]).toMatchObject({ status: 'paid', attempts: 1 });
    expect(await processorKeys(second.id)).toEqual([`SANDBOX#CHARGE#${second.id}#1`]);
  });

  it('a charge that never reached the processor is released and charged once under a new attempt key', async () => {
    const merchant = await newMerchant();
    const orderId = await capturedOrder(merchant, START + 20 * DAY_MS);
    const second = (await getOrder(merchant.apiKey, orderId)).installments[1] as Installment;
    clock.set(new Date(START + 34 * DAY_MS));
    // The charger died before calling the processor at all.
    const dead: CardProcessor = {
      ...real,
      charge: async () => {
        throw new Error('injected crash before the charge');
      },
      refund: (r) => real.refund(r),
      chargeOutcome: (k) => real.chargeOutcome(k),
    };
    setCardProcessor(dead);
    await collect();
    expect((await getOrder(merchant.apiKey, orderId)).installments[1]).toMatchObject({ status: 'charging' });
    const healthy = counting();
    setCardProcessor(healthy.processor);
    clock.advance(CHARGING_TIMEOUT_MS + 60_000);
    // (The first test's later installments fall due in these runs too: the checks are on this one.)
    await collect();
    const mine = healthy.charges.filter((c) => c.idempotencyKey.startsWith(second.id));
    expect(mine.map((c) => c.idempotencyKey)).toEqual([`${second.id}#2`]);
    expect((await getOrder(merchant.apiKey, orderId)).installments[1]).toMatchObject({
      status: 'paid',
      attempts: 2,
    });
    expect(await processorKeys(second.id)).toEqual([`SANDBOX#CHARGE#${second.id}#2`]);
  });

  it('two chargers racing on one message: one charge', async () => {
    const merchant = await newMerchant();
    const orderId = await capturedOrder(merchant, START + 40 * DAY_MS);
    const second = (await getOrder(merchant.apiKey, orderId)).installments[1] as Installment;
    clock.set(new Date(START + 54 * DAY_MS));
    const racing = counting();
    setCardProcessor(racing.processor);
    const message = {
      runId: 'run_race',
      asOf: isoDay(clock.now()),
      orderId,
      installmentId: second.id,
    };
    const event = (id: string): SQSEvent => ({
      Records: [
        {
          messageId: id,
          receiptHandle: id,
          body: JSON.stringify(message),
          attributes: {
            ApproximateReceiveCount: '1',
            SentTimestamp: '0',
            SenderId: 'test',
            ApproximateFirstReceiveTimestamp: '0',
          },
          messageAttributes: {},
          md5OfBody: '',
          eventSource: 'aws:sqs',
          eventSourceARN: 'arn:aws:sqs:local:000000000000:charges',
          awsRegion: 'local',
        },
      ],
    });
    // SQS delivered the same message twice (at-least-once), to two chargers at once.
    const results = await Promise.all([chargeInstallments(event('a')), chargeInstallments(event('b'))]);
    expect(racing.charges.map((c) => c.idempotencyKey)).toEqual([`${second.id}#1`]);
    // The loser either skipped (lost the claim) or asked to be redelivered (conflict); neither charged.
    expect(results.flatMap((r) => r.batchItemFailures).length).toBeLessThanOrEqual(1);
    const order = await getOrder(merchant.apiKey, orderId);
    expect(order.installments[1]).toMatchObject({ status: 'paid', attempts: 1 });
    // A redelivery after the fact charges nothing either.
    await chargeInstallments(event('c'));
    expect(racing.charges).toHaveLength(1);
  });
});
