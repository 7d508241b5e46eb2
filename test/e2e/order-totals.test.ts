/**
 * Money totals reconcile, always (ARCHITECTURE.md, Domain rules): through the local gateway and the
 * local collection pipeline against DynamoDB Local. The examples from issue 10 with their right
 * values, then a fast-check property driving random operation sequences on every plan.
 * `RELIABILITY=1` (npm run test:reliability) runs the long form of the property.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSchedule } from '../../functions/installments/schedule.ts';
import { DAY_MS, fixedClock, isoDay, setClock } from '../../functions/lib/clock.ts';
import { newId } from '../../functions/lib/ids.ts';
import { writeTransaction } from '../../functions/lib/transactions.ts';
import { expireAuthorizations } from '../../functions/orders/jobs.ts';
import type { OrderRecord } from '../../functions/orders/model.ts';
import * as orderStore from '../../functions/orders/store.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { checkoutFixtures, type Json } from '../support/checkout.ts';

const LONG = process.env.RELIABILITY === '1';
/** Runs of the property: a few in npm test, many in the long form (or as TOTALS_RUNS says). */
const RUNS = Number(process.env.TOTALS_RUNS ?? (LONG ? 200 : 8));
// Time only moves forward through the file, as in production.
const clock = fixedClock(new Date('2026-03-02T10:00:00Z'));
let app: TestApp;
let merchant: { id: string; apiKey: string };
/** A good card, and one that soft-declines (dunning, then arrears) so that failed installments occur. */
let payers: Array<{ customerId: string; cardToken: string }>;
const { newMerchant, newShopper, merchantPost, authorizedOrder } = checkoutFixtures(() => app);

beforeAll(async () => {
  setClock(clock);
  app = await startTestApp();
  merchant = await newMerchant();
  payers = [await newShopper('4242424242424242'), await newShopper('4000000000009995')];
});
afterAll(async () => {
  await app?.close();
  setClock(undefined);
});

type Installment = {
  id: string;
  captureId: string;
  seq: number;
  status: string;
  amount: number;
  originalAmount: number;
  principal: number;
  interest: number;
  refundedAmount: number;
};
type Order = Json & {
  id: string;
  status: string;
  amount: number;
  capturedAmount: number;
  refundedAmount: number;
  outstandingAmount: number;
  remainingAuthorizedAmount: number;
  captures: Array<{ id: string; amount: number; refundedAmount: number }>;
  installments: Installment[];
};

type PlanChoice = { plan: 'pay_in_4' } | { plan: 'pay_in_30' } | { plan: 'monthly'; termMonths: number };

/** An authorized order, through the whole checkout (a new shopper: the clock outruns sessions). */
async function newOrder(amount: number, plan: PlanChoice): Promise<string> {
  return (await authorizedOrder(merchant, await newShopper(), amount, plan)).id;
}

async function getOrder(id: string): Promise<Order> {
  const res = await app.call<Order>('GET', `/v1/orders/${id}`, { auth: merchant.apiKey });
  expect(res.status, res.text).toBe(200);
  return res.json;
}

const OWING = new Set(['due', 'charging', 'failed']);
const owed = (order: Order) =>
  order.installments.filter((i) => OWING.has(i.status)).reduce((sum, i) => sum + i.amount, 0);

/** The invariants of ARCHITECTURE.md, "Money totals reconcile, always", on the order as served. */
function checkTotals(order: Order): void {
  expect(order.outstandingAmount).toBe(owed(order));
  expect(order.capturedAmount).toBe(order.captures.reduce((sum, c) => sum + c.amount, 0));
  expect(order.refundedAmount).toBe(order.captures.reduce((sum, c) => sum + c.refundedAmount, 0));
  expect(order.refundedAmount).toBeLessThanOrEqual(order.capturedAmount);
  expect(order.capturedAmount).toBeLessThanOrEqual(order.amount);
  for (const capture of order.captures) {
    expect(capture.refundedAmount).toBeLessThanOrEqual(capture.amount);
    const mine = order.installments.filter((i) => i.captureId === capture.id);
    // No capture was scheduled with a zero installment.
    for (const installment of mine) expect(installment.originalAmount).toBeGreaterThan(0);
  }
  for (const installment of order.installments) {
    expect(installment.amount).toBeGreaterThanOrEqual(0);
    expect(installment.amount).toBeGreaterThanOrEqual(installment.principal + installment.interest);
    expect(installment.refundedAmount).toBeLessThanOrEqual(
      installment.status === 'paid' ? installment.amount : 0,
    );
    // Nothing owed is ever 0: an installment reduced to nothing is cancelled.
    if (OWING.has(installment.status)) expect(installment.amount).toBeGreaterThan(0);
  }
  if (order.status === 'refunded') {
    expect(order.refundedAmount).toBe(order.capturedAmount);
    expect(order.outstandingAmount).toBe(0);
    // No finance charge on a fully refunded purchase: every collected unit went back.
    for (const installment of order.installments.filter((i) => i.status === 'paid'))
      expect(installment.refundedAmount).toBe(installment.amount);
  }
  if (order.status === 'paid_off') expect(order.outstandingAmount).toBe(0);
}

const capture = (id: string, amount: number) =>
  merchantPost<Json>(merchant.apiKey, `/v1/orders/${id}/captures`, { amount });
const refund = (id: string, amount: number, captureId?: string) =>
  merchantPost<Json & { error?: { code: string } }>(merchant.apiKey, `/v1/orders/${id}/refunds`, {
    amount,
    ...(captureId ? { captureId } : {}),
  });

async function collectAfter(days: number): Promise<void> {
  clock.set(new Date(clock.now().getTime() + days * DAY_MS));
  const res = await app.call('POST', '/v1/admin/collections', {
    auth: app.operator,
    body: { asOf: isoDay(clock.now()) },
  });
  expect(res.status, res.text).toBe(200);
}

describe('issue 10 examples: USD, monthly 12 months at the default 14.99% APR, 40000 captured', () => {
  const monthly12: PlanChoice = { plan: 'monthly', termMonths: 12 };

  it('outstandingAmount is what the unpaid installments owe, interest included (43322)', async () => {
    const id = await newOrder(40_000, monthly12);
    expect((await capture(id, 40_000)).status).toBe(201);
    const order = await getOrder(id);
    expect(order.installments).toHaveLength(12);
    expect(owed(order)).toBe(43_322);
    expect(order.outstandingAmount).toBe(43_322);
    checkTotals(order);
  });

  it('a refund of 40001 is 422 refund_exceeds_refundable, and nothing changes', async () => {
    const id = await newOrder(40_000, monthly12);
    await capture(id, 40_000);
    const before = await getOrder(id);
    const res = await refund(id, 40_001);
    expect(res.status, res.text).toBe(422);
    expect(res.json.error?.code).toBe('refund_exceeds_refundable');
    const after = await getOrder(id);
    expect(after.version).toBe(before.version);
    expect(after.outstandingAmount).toBe(43_322);
  });

  it('a refund of 40000 refunds the order and leaves nothing to collect, interest included', async () => {
    const id = await newOrder(40_000, monthly12);
    await capture(id, 40_000);
    const res = await refund(id, 40_000);
    expect(res.status, res.text).toBe(201);
    // Principal 40000 and the 3322 of interest that went with it came off; nothing was collected.
    expect(res.json).toMatchObject({ amount: 40_000, reducedAmount: 43_322, returnedAmount: 0 });
    const order = await getOrder(id);
    expect(order.status).toBe('refunded');
    expect(order.outstandingAmount).toBe(0);
    expect(order.installments.every((i) => i.status === 'cancelled' && i.amount === 0)).toBe(true);
    checkTotals(order);
  });

  it('a partial refund takes principal from the last installments and the interest on it from every unpaid period', async () => {
    const id = await newOrder(40_000, monthly12);
    await capture(id, 40_000);
    const res = await refund(id, 10_000);
    expect(res.status, res.text).toBe(201);
    const order = await getOrder(id);
    checkTotals(order);
    const principal = order.installments.reduce((sum, i) => sum + i.principal, 0);
    expect(principal).toBe(30_000);
    const interest = order.installments.reduce((sum, i) => sum + i.interest, 0);
    // Less interest than the full 3322, and none left on a period whose principal was all refunded.
    expect(interest).toBeLessThan(3_322);
    for (const i of order.installments.filter((x) => x.principal === 0)) expect(i.status).toBe('cancelled');
    expect(res.json).toMatchObject({ amount: 10_000, reducedAmount: 43_322 - owed(order) });
    // The rest is refundable exactly once more: 30000, not a unit beyond.
    expect((await refund(id, 30_001)).status).toBe(422);
    expect((await refund(id, 30_000)).status).toBe(201);
    const done = await getOrder(id);
    expect(done.status).toBe('refunded');
    checkTotals(done);
  });

  it('a full refund after collection returns the interest paid too', async () => {
    const id = await newOrder(40_000, monthly12);
    await capture(id, 40_000);
    await collectAfter(31);
    const paid = (await getOrder(id)).installments.filter((i) => i.status === 'paid');
    expect(paid).toHaveLength(1);
    const res = await refund(id, 40_000);
    expect(res.status, res.text).toBe(201);
    expect(res.json).toMatchObject({ returnedAmount: paid[0]?.amount });
    const order = await getOrder(id);
    expect(order.status).toBe('refunded');
    checkTotals(order);
  });

  it('capturing 1 minor unit on pay_in_4 makes one installment of 1, charged at capture; nothing is 0', async () => {
    const id = await newOrder(4_000, { plan: 'pay_in_4' });
    const res = await capture(id, 1);
    expect(res.status, res.text).toBe(201);
    expect((res.json.installments as Array<{ amount: number }>).map((i) => i.amount)).toEqual([1]);
    const order = await getOrder(id);
    expect(order.installments.map((i) => [i.amount, i.status])).toEqual([[1, 'paid']]);
    checkTotals(order);
  });
});

// ---------------------------------------------------------------------------------------------
// The property: random operation sequences on every plan, the invariants after each step.
// ---------------------------------------------------------------------------------------------

type Op =
  | { kind: 'capture'; share: number }
  | { kind: 'collect'; days: number }
  | { kind: 'refund'; share: number; excess: number; byCapture: boolean }
  | { kind: 'cancel' }
  | { kind: 'expire' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant('capture' as const), share: fc.integer({ min: 1, max: 100 }) }),
  },
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant('collect' as const), days: fc.integer({ min: 1, max: 30 }) }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('refund' as const),
      share: fc.integer({ min: 1, max: 100 }),
      excess: fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 1, max: 500 })),
      byCapture: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'cancel' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'expire' as const }) },
);

const planArb: fc.Arbitrary<PlanChoice> = fc.oneof(
  fc.constant({ plan: 'pay_in_4' as const }),
  fc.constant({ plan: 'pay_in_30' as const }),
  fc.constantFrom(3, 6, 12, 24).map((termMonths) => ({ plan: 'monthly' as const, termMonths })),
);
/** An amount within every plan's USD limits (pay_in_30 goes up to 1000 USD, monthly from 100). */
const amountArb = fc.integer({ min: 10_000, max: 100_000 });

/**
 * An authorized order written straight to the table, as checkout would have written it, so that
 * the property spends its time on the operations rather than on shopper sign-up and step-up.
 */
async function seededOrder(amount: number, plan: PlanChoice, card: number): Promise<string> {
  const payer = payers[card];
  if (!payer) throw new Error('no payer');
  const now = clock.now();
  const terms = plan.plan === 'monthly' ? { termMonths: plan.termMonths, aprBps: 1_499 } : {};
  const preview = buildSchedule(plan.plan, amount, 'USD', now, terms);
  const at = now.toISOString();
  const order: OrderRecord = {
    id: newId('order', now),
    merchantId: merchant.id,
    livemode: false,
    customerId: payer.customerId,
    checkoutSessionId: newId('checkoutSession', now),
    merchantReference: 'property',
    status: 'authorized',
    amount,
    currency: 'USD',
    plan: plan.plan,
    ...terms,
    cardToken: payer.cardToken,
    cardBrand: 'visa',
    cardLast4: '4242',
    capturedAmount: 0,
    refundedAmount: 0,
    outstandingAmount: 0,
    collectedAmount: 0,
    captureCount: 0,
    authorizationExpiresAt: new Date(now.getTime() + 28 * DAY_MS).toISOString(),
    authorizationMaxExpiresAt: new Date(now.getTime() + 180 * DAY_MS).toISOString(),
    schedulePreview: { installments: preview.installments, disclosure: preview.disclosure },
    version: 1,
    createdAt: at,
    updatedAt: at,
  };
  await writeTransaction([
    orderStore.putOrderItem(order),
    orderStore.putAuthExpiryItem(order),
    orderStore.customerOrderItem(order),
  ]);
  return order.id;
}

/** Applies one operation and checks what the API answered against the totals read before it. */
async function step(id: string, op: Op, before: Order): Promise<void> {
  switch (op.kind) {
    case 'capture': {
      const left = before.remainingAuthorizedAmount;
      if (left === 0) return;
      const res = await capture(id, Math.max(1, Math.floor((left * op.share) / 100)));
      expect([201, 422], res.text).toContain(res.status);
      return;
    }
    case 'collect':
      return collectAfter(op.days);
    case 'refund': {
      const target = op.byCapture ? before.captures.at(-1) : undefined;
      const refundable = target
        ? target.amount - target.refundedAmount
        : before.capturedAmount - before.refundedAmount;
      const amount = Math.max(1, Math.floor((refundable * op.share) / 100)) + op.excess;
      const res = await refund(id, amount, target?.id);
      const open = ['captured', 'in_arrears', 'paid_off'].includes(before.status);
      if (open && before.capturedAmount > 0 && amount > refundable) {
        expect(res.status, res.text).toBe(422);
        expect(res.json.error?.code).toBe('refund_exceeds_refundable');
      } else if (open && before.capturedAmount > 0) {
        // 409 only while a charge is in flight; collection runs synchronously, so none is.
        expect(res.status, res.text).toBe(201);
        if (amount === before.capturedAmount - before.refundedAmount) {
          expect((await getOrder(id)).status).toBe('refunded');
        }
      } else {
        expect(res.status, res.text).toBe(422);
      }
      return;
    }
    case 'cancel': {
      const res = await merchantPost(merchant.apiKey, `/v1/orders/${id}/cancel`);
      expect(res.status, res.text).toBe(before.status === 'authorized' ? 200 : 422);
      return;
    }
    case 'expire':
      clock.set(new Date(clock.now().getTime() + 29 * DAY_MS));
      await expireAuthorizations({});
      return;
  }
}

describe('property: totals reconcile after every step of any operation sequence, on every plan', () => {
  it(
    'outstanding = what unpaid installments owe; refunds capped; a full refund leaves nothing; no zero installment',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          planArb,
          amountArb,
          fc.integer({ min: 0, max: 1 }),
          fc.array(opArb, { minLength: 1, maxLength: LONG ? 12 : 6 }),
          async (plan, amount, card, ops) => {
            const id = await seededOrder(amount, plan, card);
            let order = await getOrder(id);
            for (const op of ops) {
              await step(id, op, order);
              order = await getOrder(id);
              checkTotals(order);
            }
          },
        ),
        { numRuns: RUNS, endOnFailure: true },
      );
    },
    LONG ? 3_600_000 : 120_000,
  );
});
