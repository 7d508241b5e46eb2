import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { DAY_MS, fixedClock, isoDay } from '../../functions/lib/clock.ts';
import { ddb, tableName } from '../../functions/lib/dynamodb.ts';
import { listOutbox } from '../../functions/lib/notifier.ts';
import { type CardProcessor, setCardProcessor } from '../../functions/payments/processor.ts';
import { SandboxProcessor } from '../../functions/payments/sandbox.ts';
import { detokenize } from '../../functions/vault/access.ts';
import { appWithClock } from '../support/app.ts';
import { checkoutFixtures, type Json } from '../support/checkout.ts';

// Late fees, shopper notices and card-refund retries, played through POST /v1/admin/collections
// under an injected clock (the gateway runs in-process and sees it). Time only moves forward.
const START = Date.parse('2026-05-04T10:00:00Z');
const clock = fixedClock(new Date(START));
let base = START;
const testApp = appWithClock(clock);
afterAll(() => setCardProcessor(undefined));

const {
  newMerchant,
  newShopper,
  merchantPost,
  events,
  runCollection,
  capturedOrder: captureOrder,
} = checkoutFixtures(testApp);

const DECLINED = '4000000000000002';
const GOOD = '4242424242424242';

type Installment = {
  id: string;
  seq: number;
  status: string;
  amount: number;
  lateFee?: number;
  dueDate: string;
};
type Refund = { id: string; cardRefunds: Array<{ installmentId: string; amount: number; status: string }> };
type Order = Json & {
  id: string;
  status: string;
  outstandingAmount: number;
  lateFeesAmount: number;
  installments: Installment[];
  refunds: Refund[];
};
type Run = Json & {
  charged: number;
  fees: number;
  reminders: number;
  failed: { soft: number; hard: number };
  cardRefunds: { succeeded: number; retrying: number; failed: number };
  skipped: { total: number; reasons: Record<string, number> };
};

async function collectOn(days: number): Promise<Run> {
  clock.set(new Date(base + days * DAY_MS));
  return runCollection<Run>(isoDay(clock.now()));
}

async function capturedOrder(merchant: { apiKey: string }, card: string, amount: number) {
  base = Date.parse(`${isoDay(new Date(clock.now().getTime() + DAY_MS))}T10:00:00Z`);
  clock.set(new Date(base));
  const shopper = await newShopper(card);
  const order = await captureOrder(merchant, shopper, amount);
  return { id: order.id, customerId: shopper.customerId };
}

async function getOrder(apiKey: string, id: string): Promise<Order> {
  const res = await testApp().call<Order>('GET', `/v1/orders/${id}`, { auth: apiKey });
  expect(res.status, res.text).toBe(200);
  return res.json;
}

/** The shopper's payment notices (reminders, receipts, failures, arrears), oldest first. */
async function notices(customerId: string) {
  const all = await listOutbox(customerId, 100);
  return all.filter((m) => m.kind === 'payment_notice').reverse();
}
const subjects = (list: Array<{ subject: string }>, pattern: RegExp) =>
  list.filter((m) => pattern.test(m.subject)).length;

/** The sum of what the unpaid installments still owe. */
const unpaidSum = (order: Order) =>
  order.installments
    .filter((i) => i.status !== 'paid' && i.status !== 'cancelled')
    .reduce((s, i) => s + i.amount, 0);

const PLAY = { timeout: 300_000 };

describe('late fees', PLAY, () => {
  it('a declined card goes through every retry into arrears; fees accrue up to the 25% cap and no further, each once; the shopper is told once per event', async () => {
    const merchant = await newMerchant();
    // USD 40.00 in 4 x 10.00: the cap is 25% = 10.00, so fees go 7.00, 3.00, then nothing.
    const order = await capturedOrder(merchant, DECLINED, 4_000);
    const ran: Run[] = [];
    for (const day of [1, 3, 7]) ran.push(await collectOn(day));
    let got = await getOrder(merchant.apiKey, order.id);
    expect(got.status).toBe('in_arrears');
    expect(got.lateFeesAmount).toBe(0);

    // Day +10: the first installment has been unpaid 10 days: USD 7.00, once (a rerun adds nothing).
    expect((await collectOn(10)).fees).toBe(1);
    expect((await collectOn(10)).fees).toBe(0);
    got = await getOrder(merchant.apiKey, order.id);
    expect(got.installments[0]).toMatchObject({ amount: 1_700, lateFee: 700, status: 'failed' });
    expect(got).toMatchObject({ lateFeesAmount: 700, outstandingAmount: 4_700 });
    expect(got.outstandingAmount).toBe(unpaidSum(got));

    // Day +11: the reminder of installment 2 (due +14), once.
    expect((await collectOn(11)).reminders).toBe(1);
    expect((await collectOn(11)).reminders).toBe(0);
    // Installment 2: +14 and its retries fail; its fee at +24 is cut to the 3.00 left under the cap.
    for (const day of [14, 15, 17, 21]) expect((await collectOn(day)).failed.soft).toBeGreaterThanOrEqual(1);
    expect((await collectOn(24)).fees).toBe(1);
    got = await getOrder(merchant.apiKey, order.id);
    expect(got.installments[1]).toMatchObject({ amount: 1_300, lateFee: 300 });
    expect(got).toMatchObject({ lateFeesAmount: 1_000, outstandingAmount: 5_000 });

    // Installment 3: the cap is reached, no fee at +38.
    for (const day of [25, 28, 29, 31, 35]) await collectOn(day);
    expect((await collectOn(38)).fees).toBe(0);
    got = await getOrder(merchant.apiKey, order.id);
    expect(got.installments[2]).toMatchObject({ amount: 1_000, status: 'failed' });
    expect(got.installments[2]?.lateFee).toBeUndefined();
    expect(got.lateFeesAmount).toBe(1_000);
    expect(got.outstandingAmount).toBe(unpaidSum(got));
    const types = (await events(order.id)).map((e) => e.type);
    expect(types.filter((t) => t === 'order.late_fee_charged')).toHaveLength(2);

    // Notices: 4 failures for each of installments 1-3, arrears once, reminders for 2 and 3.
    const before = await notices(order.customerId);
    expect(subjects(before, /failed$/)).toBe(12);
    expect(subjects(before, /in arrears$/)).toBe(1);
    expect(subjects(before, /^Payment of .* due on /)).toBe(2);
    expect(subjects(before, /^Receipt/)).toBe(0);
    // Card brand and last 4 only; never a card number.
    for (const message of before) {
      expect(message.text).not.toMatch(/\d{12,}/);
      expect(message.text).not.toContain(DECLINED);
    }
    expect(before.some((m) => m.text.includes('ending in 0002'))).toBe(true);
    // Reruns of days already played send nothing again.
    for (const day of [35, 38]) await collectOn(day);
    expect(await notices(order.customerId)).toHaveLength(before.length);
  });

  it('no fee on a disputed order', async () => {
    const merchant = await newMerchant();
    const order = await capturedOrder(merchant, DECLINED, 4_000);
    for (const day of [1, 3, 7]) await collectOn(day);
    // The disputes capability sets this flag while the shopper's dispute is investigated.
    await ddb().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: { pk: `ORDER#${order.id}`, sk: 'ORDER' },
        UpdateExpression: 'SET disputed = :yes',
        ExpressionAttributeValues: { ':yes': true },
      }),
    );
    const run = await collectOn(10);
    expect(run.skipped.reasons.disputed).toBeGreaterThanOrEqual(1);
    const got = await getOrder(merchant.apiKey, order.id);
    expect(got).toMatchObject({ status: 'in_arrears', lateFeesAmount: 0, outstandingAmount: 4_000 });
    expect(got.installments[0]?.lateFee).toBeUndefined();
    expect((await events(order.id)).map((e) => e.type)).not.toContain('order.late_fee_charged');
  });
});

describe('receipts and reminders on a good card', PLAY, () => {
  it('one receipt per charge and one reminder per due date, across reruns', async () => {
    const merchant = await newMerchant();
    const order = await capturedOrder(merchant, GOOD, 4_000);
    for (const day of [11, 11, 12, 14, 14]) await collectOn(day);
    const list = await notices(order.customerId);
    expect(subjects(list, /^Receipt/)).toBe(2);
    expect(subjects(list, /^Payment of USD 10\.00 due on /)).toBe(1);
    expect(list.find((m) => /^Receipt/.test(m.subject))?.text).toContain('Visa ending in 4242');
  });
});

/** A processor whose card returns are refused `refusals` times, then go through; records each key. */
function flakyRefunds(refusals: number): { processor: CardProcessor; keys: string[] } {
  const sandbox = new SandboxProcessor((token, purpose) => detokenize(token, purpose));
  const keys: string[] = [];
  let left = refusals;
  const processor: CardProcessor = {
    charge: (request) => sandbox.charge(request),
    chargeOutcome: (key) => sandbox.chargeOutcome(key),
    refund: async (request) => {
      keys.push(request.idempotencyKey);
      if (left > 0) {
        left -= 1;
        return { status: 'failed', message: 'processor unavailable' };
      }
      return sandbox.refund(request);
    },
  };
  return { processor, keys };
}

describe('card refunds that fail', PLAY, () => {
  it('are retried by collection until they succeed, once each', async () => {
    const merchant = await newMerchant();
    const order = await capturedOrder(merchant, GOOD, 4_000);
    // The processor refuses the next two card returns (the refund itself and its first retry).
    const { processor: flaky, keys: refunds } = flakyRefunds(2);
    setCardProcessor(flaky);
    try {
      const refund = await merchantPost(merchant.apiKey, `/v1/orders/${order.id}/refunds`, { amount: 4_000 });
      expect(refund.status, refund.text).toBe(201);
      let got = await getOrder(merchant.apiKey, order.id);
      expect(got.status).toBe('refunded');
      expect(got.refunds[0]?.cardRefunds).toEqual([
        expect.objectContaining({ amount: 1_000, status: 'retrying' }),
      ]);

      expect((await collectOn(1)).cardRefunds).toEqual({ succeeded: 0, retrying: 1, failed: 0 });
      expect((await collectOn(3)).cardRefunds).toEqual({ succeeded: 1, retrying: 0, failed: 0 });
      expect((await collectOn(3)).cardRefunds).toEqual({ succeeded: 0, retrying: 0, failed: 0 });
      got = await getOrder(merchant.apiKey, order.id);
      expect(got.refunds[0]?.cardRefunds[0]?.status).toBe('succeeded');
      // One processor call per attempt, each under its own key; none after success.
      expect(refunds).toHaveLength(3);
      expect(new Set(refunds).size).toBe(3);
      const refundEvents = (await testApp().scanAll()).main?.filter(
        (i) => i.type === 'webhookEvent' && i.objectId === got.refunds[0]?.id,
      );
      expect(refundEvents?.map((e) => e.eventType)).toEqual(['refund.card_refund_succeeded']);
    } finally {
      setCardProcessor(undefined);
    }
  });

  it('fail for good after the last retry (+7 days), with refund.card_refund_failed', async () => {
    const merchant = await newMerchant();
    const order = await capturedOrder(merchant, GOOD, 4_000);
    const { processor, keys } = flakyRefunds(Number.POSITIVE_INFINITY);
    setCardProcessor(processor);
    try {
      const refund = await merchantPost(merchant.apiKey, `/v1/orders/${order.id}/refunds`, { amount: 4_000 });
      expect(refund.status, refund.text).toBe(201);
      for (const day of [1, 3]) expect((await collectOn(day)).cardRefunds.retrying).toBe(1);
      expect((await collectOn(7)).cardRefunds).toEqual({ succeeded: 0, retrying: 0, failed: 1 });
      expect((await collectOn(8)).cardRefunds.failed).toBe(0);
      const got = await getOrder(merchant.apiKey, order.id);
      expect(got.refunds[0]?.cardRefunds[0]?.status).toBe('failed');
      expect(keys).toHaveLength(4);
      const refundEvents = (await testApp().scanAll()).main?.filter(
        (i) => i.type === 'webhookEvent' && i.objectId === got.refunds[0]?.id,
      );
      expect(refundEvents?.map((e) => e.eventType)).toEqual(['refund.card_refund_failed']);
    } finally {
      setCardProcessor(undefined);
    }
  });
});
