import { describe, expect, it } from 'vitest';
import { DAY_MS, fixedClock, isoDay } from '../../functions/lib/clock.ts';
import { appWithClock } from '../support/app.ts';
import { checkoutFixtures, type Json } from '../support/checkout.ts';

// The gateway runs in-process: the handlers and the collection pipeline see this clock. Time only
// moves forward through the file, as it does in production: each test starts on a later day.
const START = Date.parse('2026-03-02T10:00:00Z');
const clock = fixedClock(new Date(START));
let base = START;
const testApp = appWithClock(clock);

const {
  newMerchant,
  newShopper,
  events,
  runCollection,
  capturedOrder: captureOrder,
} = checkoutFixtures(testApp);

const SOFT_DECLINE = '4000000000009995';
const STOLEN = '4000000000009979';

type Installment = {
  id: string;
  seq: number;
  status: string;
  attempts: number;
  amount: number;
  dueDate: string;
};
type Order = Json & { id: string; status: string; outstandingAmount: number; installments: Installment[] };
type Run = Json & {
  id: string;
  status: string;
  due: number;
  charged: number;
  paid: number;
  failed: { soft: number; hard: number };
  retried: number;
  skipped: { total: number; reasons: Record<string, number> };
  days: string[];
};

/** Moves the clock to the test's base day + `days` (10:00 UTC) and runs collection for that day. */
async function collectOn(days: number): Promise<Run> {
  clock.set(new Date(base + days * DAY_MS));
  return runCollection<Run>(isoDay(clock.now()));
}

async function capturedOrder(
  merchant: { apiKey: string },
  card: string,
  amount: number,
  plan: Json = { plan: 'pay_in_4' },
): Promise<{ id: string }> {
  // The next day after whatever the previous test reached.
  base = Date.parse(`${isoDay(new Date(clock.now().getTime() + DAY_MS))}T10:00:00Z`);
  clock.set(new Date(base));
  return captureOrder(merchant, await newShopper(card), amount, plan);
}

async function getOrder(apiKey: string, id: string): Promise<Order> {
  const res = await testApp().call<Order>('GET', `/v1/orders/${id}`, { auth: apiKey });
  expect(res.status, res.text).toBe(200);
  return res.json;
}

/** Charges the sandbox processor recorded for an installment (one per attempt key). */
async function processorCharges(installmentId: string): Promise<number> {
  const { main = [] } = await testApp().scanAll();
  return main.filter((item) => String(item.pk).startsWith(`SANDBOX#CHARGE#${installmentId}#`)).length;
}

// Whole plans are many HTTP calls: generous budgets, since a timed-out test would leave its calls
// moving the shared clock under the next one.
const PLAY = { timeout: 240_000 };

describe('a whole plan played under an injected clock through POST /v1/admin/collections', PLAY, () => {
  it('pay_in_4: first at capture, then +14, +28, +42 days; the order ends paid_off', async () => {
    const merchant = await newMerchant();
    const order = await capturedOrder(merchant, '4242424242424242', 40_000);
    let got = await getOrder(merchant.apiKey, order.id);
    expect(got.installments.map((i) => i.status)).toEqual(['paid', 'due', 'due', 'due']);

    for (const [days, paid] of [
      [14, 2],
      [28, 3],
      [42, 4],
    ] as const) {
      // The day before is quiet: nothing of this order is due yet.
      expect((await collectOn(days - 1)).charged).toBe(0);
      const run = await collectOn(days);
      expect(run).toMatchObject({
        status: 'completed',
        due: 1,
        charged: 1,
        paid: 1,
        failed: { soft: 0, hard: 0 },
      });
      got = await getOrder(merchant.apiKey, order.id);
      expect(got.installments.filter((i) => i.status === 'paid')).toHaveLength(paid);
    }
    expect(got).toMatchObject({ status: 'paid_off', outstandingAmount: 0 });
    const types = (await events(order.id)).map((e) => e.type);
    expect(types.filter((t) => t === 'installment.paid')).toHaveLength(4);
    expect(types.at(-1)).toBe('order.paid_off');
    // Run again on the last day: nothing is charged twice.
    expect((await collectOn(42)).charged).toBe(0);
  });

  it('pay_in_30: one installment at +30 days', async () => {
    const merchant = await newMerchant();
    const order = await capturedOrder(merchant, '4242424242424242', 12_345, { plan: 'pay_in_30' });
    expect((await getOrder(merchant.apiKey, order.id)).installments.map((i) => i.status)).toEqual(['due']);
    const run = await collectOn(30);
    expect(run).toMatchObject({ due: 1, charged: 1, paid: 1 });
    expect(await getOrder(merchant.apiKey, order.id)).toMatchObject({
      status: 'paid_off',
      outstandingAmount: 0,
    });
  });

  it('monthly, 6 months: every month collected, the balance ends at exactly 0', async () => {
    const merchant = await newMerchant();
    const order = await capturedOrder(merchant, '4242424242424242', 40_000, {
      plan: 'monthly',
      termMonths: 6,
    });
    const before = await getOrder(merchant.apiKey, order.id);
    expect(before.installments).toHaveLength(6);
    // What is owed is what the installments sum to, interest included.
    const owed = before.installments.reduce((sum, i) => sum + i.amount, 0);
    expect(owed).toBeGreaterThan(40_000);
    expect(before.outstandingAmount).toBe(owed);
    for (const installment of before.installments) {
      const days = Math.round((Date.parse(`${installment.dueDate}T10:00:00Z`) - base) / DAY_MS);
      expect(await collectOn(days)).toMatchObject({ charged: 1, paid: 1 });
    }
    const after = await getOrder(merchant.apiKey, order.id);
    expect(after).toMatchObject({ status: 'paid_off', outstandingAmount: 0 });
    expect(after.installments.every((i) => i.status === 'paid')).toBe(true);
  });
});

describe('dunning', PLAY, () => {
  it('a soft decline is retried at +1, +3, +7 days (a missed day included), then the order is in_arrears', async () => {
    const merchant = await newMerchant();
    const order = await capturedOrder(merchant, SOFT_DECLINE, 40_000);
    let got = await getOrder(merchant.apiKey, order.id);
    const first = got.installments[0] as Installment;
    expect(first).toMatchObject({ status: 'failed', attempts: 1 });

    // No run on day +1: the run of day +2 still finds the retry indexed under day +1.
    const late = await collectOn(2);
    expect(late.days).toContain(isoDay(new Date(base + DAY_MS)));
    expect(late).toMatchObject({ due: 1, charged: 1, failed: { soft: 1, hard: 0 }, retried: 1 });
    expect((await collectOn(3)).charged).toBe(1);
    got = await getOrder(merchant.apiKey, order.id);
    expect(got.status).toBe('captured');
    // The last retry (+7) fails: no more attempts, the order goes in_arrears.
    const last = await collectOn(7);
    expect(last).toMatchObject({ charged: 1, failed: { soft: 1, hard: 0 }, retried: 0 });
    got = await getOrder(merchant.apiKey, order.id);
    expect(got.status).toBe('in_arrears');
    expect(got.installments[0]).toMatchObject({ status: 'failed', attempts: 4 });
    expect(await processorCharges(first.id)).toBe(4);
    // Nothing more is tried for it.
    expect((await collectOn(8)).charged).toBe(0);
    const types = (await events(order.id)).map((e) => e.type);
    expect(types.filter((t) => t === 'installment.failed')).toHaveLength(4);
    expect(types).toContain('order.in_arrears');
  });

  it('a hard decline (stolen card) is never retried, and the card is not tried for later installments', async () => {
    const merchant = await newMerchant();
    const order = await capturedOrder(merchant, STOLEN, 40_000);
    let got = await getOrder(merchant.apiKey, order.id);
    expect(got.status).toBe('in_arrears');
    const first = got.installments[0] as Installment;
    expect(first).toMatchObject({ status: 'failed', attempts: 1 });
    // (Other tests' orders may be collected by these runs: the checks are on this order.)
    for (const days of [1, 3, 7]) await collectOn(days);
    expect(await processorCharges(first.id)).toBe(1);
    const second = await collectOn(14);
    expect(second.skipped.reasons.card_declined_hard).toBe(1);
    got = await getOrder(merchant.apiKey, order.id);
    expect(await processorCharges(first.id)).toBe(1);
    expect(await processorCharges((got.installments[1] as Installment).id)).toBe(0);
    expect((await events(order.id)).map((e) => e.type)).toContain('order.in_arrears');
  });
});

describe('POST /v1/admin/collections input', () => {
  it.each([
    [{ asOf: 'tomorrow' }, 'parameter_invalid'],
    [{ asOf: '2026-02-30' }, 'parameter_invalid'],
    [{ asOf: '2030-01-01' }, 'as_of_in_future'],
    // The conformance test's example: a run this far back planted the watermark in 1529, and every
    // later run walked five centuries of days and timed out (500).
    [{ asOf: '1529-05-31' }, 'as_of_too_old'],
    [{}, 'parameter_missing'],
    [{ asOf: '2026-04-01', extra: 1 }, 'parameter_unknown'],
  ])('%j is a 400 %s and charges nothing', async (body, code) => {
    const before = (await testApp().scanAll()).main?.filter((i) => i.type === 'collectionRun').length;
    const res = await testApp().call<{ error: { code: string; param?: string } }>(
      'POST',
      '/v1/admin/collections',
      {
        auth: testApp().operator,
        body,
      },
    );
    expect(res.status, res.text).toBe(400);
    expect(res.json.error.code).toBe(code);
    const after = (await testApp().scanAll()).main?.filter((i) => i.type === 'collectionRun').length;
    expect(after).toBe(before);
  });

  it('needs the operator; a stored run is read back by id', async () => {
    const asOf = isoDay(clock.now());
    expect((await testApp().call('POST', '/v1/admin/collections', { body: { asOf } })).status).toBe(401);
    const run = await collectOn(0);
    const read = await testApp().call<Run>('GET', `/v1/admin/collections/${run.id}`, {
      auth: testApp().operator,
    });
    expect(read.status).toBe(200);
    expect(read.json).toEqual(run);
    const missing = await testApp().call('GET', '/v1/admin/collections/run_01J00000000000000000000000', {
      auth: testApp().operator,
    });
    expect(missing.status).toBe(404);
    expect(
      (await testApp().call('GET', '/v1/admin/collections/nope', { auth: testApp().operator })).status,
    ).toBe(400);
  });
});
