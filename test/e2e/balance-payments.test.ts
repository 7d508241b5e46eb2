/**
 * Installments paid from the customer balance (issue 11; docs/adr/0027): collection applies the
 * balance first (in full with no card, or part of a card attempt), the shopper pays from it over
 * HTTP, a decline or a charge that never happened gives the part back, concurrent payments never
 * overdraw, refunds give balance-paid money back to the balance; and the whole flow from a refund
 * credited to the balance to the next installment paid from it. Against DynamoDB Local.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { balanceCreditItem } from '../../functions/balance/credits.ts';
import { DAY_MS, fixedClock, isoDay } from '../../functions/lib/clock.ts';
import { writeTransaction } from '../../functions/lib/transactions.ts';
import { CHARGING_TIMEOUT_MS, collectInstallment } from '../../functions/orders/collection-face.ts';
import {
  type CardProcessor,
  type ChargeRequest,
  cardProcessor,
  setCardProcessor,
} from '../../functions/payments/processor.ts';
import { appWithClock } from '../support/app.ts';
import { checkoutFixtures, idempotencyKey, type Json } from '../support/checkout.ts';
import { enrollTotp, signIn } from '../support/customers.ts';

const START = Date.parse('2026-08-03T10:00:00Z');
const clock = fixedClock(new Date(START));
const app = appWithClock(clock);
let real: CardProcessor;
beforeAll(() => {
  real = cardProcessor();
});
afterEach(() => setCardProcessor(real));
afterAll(() => setCardProcessor(undefined));
const { newMerchant, newShopper, merchantPost, capturedOrder, runCollection } = checkoutFixtures(app);

/** Stripe's test card whose refunds fail: the refund's collected money ends in the balance. */
const REFUND_FAILS = '4000000000005126';

type Installment = {
  id: string;
  status: string;
  amount: number;
  attempts: number;
  source?: string;
  paidFromBalance?: number;
};
type Order = Json & {
  id: string;
  status: string;
  outstandingAmount: number;
  amount: number;
  installments: Installment[];
};
type Entry = { amount: number; reason: string; reference: string; balanceAfter: number };
type Shopper = Awaited<ReturnType<typeof newShopper>>;

/**
 * Each test lives 100 days after the previous one and ends with `sweep` (runs that collect what it
 * left unpaid), so a collection run (which takes everything due up to its day) never meets another
 * test's installments.
 */
let base = START - 100 * DAY_MS;
const beginTest = () => {
  base += 100 * DAY_MS;
  clock.set(new Date(base));
};
const sweep = async () => {
  counting();
  // On each due day, so nothing is late (no late fee parks an installment for a later run).
  for (const d of [14, 28, 42]) await runCollection(day(d));
};
const day = (days: number) => {
  clock.set(new Date(base + days * DAY_MS));
  return isoDay(clock.now());
};

async function credit(customerId: string, amount: number, reference = `re_test_${idempotencyKey()}`) {
  await writeTransaction([
    balanceCreditItem({ customerId, amount, currency: 'USD', reason: 'refund', reference }, clock.now()),
  ]);
}

/** The shopper's balance and ledger (GET /v1/me/balance, signed in afresh: sessions expire as the clock moves). */
async function ledger(shopper: Shopper) {
  const res = await app().call<{ balances: Array<{ amount: number }>; entries: Entry[] }>(
    'GET',
    '/v1/me/balance',
    { auth: await signIn(app(), shopper.email, shopper.password) },
  );
  expect(res.status, res.text).toBe(200);
  const { entries } = res.json;
  // The ledger always sums to the balance, and never went below zero.
  const balance = res.json.balances[0]?.amount ?? 0;
  expect(entries.reduce((sum, e) => sum + e.amount, 0)).toBe(balance);
  expect(entries.every((e) => e.balanceAfter >= 0)).toBe(true);
  return { balance, entries };
}

async function getOrder(apiKey: string, id: string): Promise<Order> {
  const res = await app().call<Order>('GET', `/v1/orders/${id}`, { auth: apiKey });
  expect(res.status, res.text).toBe(200);
  const order = res.json;
  // Totals still equal the sum of the installments, whatever paid them.
  const owing = order.installments.filter((i) => ['due', 'charging', 'failed'].includes(i.status));
  expect(order.outstandingAmount).toBe(owing.reduce((sum, i) => sum + i.amount, 0));
  const fees = (order.lateFeesAmount as number | undefined) ?? 0;
  expect(order.installments.reduce((sum, i) => sum + i.amount, 0)).toBe(order.amount + fees);
  return order;
}

/** The real sandbox, counting charges; `decline` answers a soft decline; `dead` throws before charging. */
function counting(mode: 'ok' | 'decline' | 'dead' = 'ok') {
  const charges: ChargeRequest[] = [];
  const processor: CardProcessor = {
    charge: async (request) => {
      if (mode === 'dead') throw new Error('injected crash before the charge');
      charges.push(request);
      if (mode === 'decline') {
        return { status: 'failed', code: 'insufficient_funds', hard: false, message: 'Insufficient funds.' };
      }
      return real.charge(request);
    },
    refund: (request) => real.refund(request),
    chargeOutcome: (key) => real.chargeOutcome(key),
  };
  setCardProcessor(processor);
  return charges;
}

async function paidEvents(orderId: string) {
  const { main = [] } = await app().scanAll();
  return main
    .filter((i) => i.type === 'webhookEvent' && i.objectId === orderId && i.eventType === 'installment.paid')
    .sort((a, b) => Number(a.sequence) - Number(b.sequence))
    .map((i) => (i.data as { installment: Installment }).installment);
}

const payFromBalance = (
  shopper: { sessionToken: string },
  orderId: string,
  body: Json = {},
  key = idempotencyKey(),
) =>
  app().call<Json & { error?: { code: string } }>('POST', `/v1/me/orders/${orderId}/balance-payments`, {
    auth: shopper.sessionToken,
    headers: { 'Idempotency-Key': key },
    body,
  });

describe('installments paid from the balance', { timeout: 240_000 }, () => {
  it('collection applies the balance first: in full with no card charge, then in part with the card paying the rest', async () => {
    beginTest();
    const merchant = await newMerchant();
    const shopper = await newShopper();
    const order = await capturedOrder(merchant, shopper, 40_000);
    await credit(shopper.customerId, 15_000);

    const charges = counting();
    const first = await runCollection<Json>(day(14));
    expect(first).toMatchObject({ charged: 0, paid: 1, paidFromBalance: 1, paidBalanceAndCard: 0 });
    let now = await getOrder(merchant.apiKey, order.id);
    expect(now.installments[1]).toMatchObject({
      status: 'paid',
      source: 'balance',
      paidFromBalance: 10_000,
      attempts: 1,
    });
    expect((await ledger(shopper)).balance).toBe(5_000);

    const second = await runCollection<Json>(day(28));
    expect(second).toMatchObject({ charged: 1, paid: 1, paidFromBalance: 0, paidBalanceAndCard: 1 });
    // The card is charged only what the balance did not cover.
    expect(charges.map((c) => c.amount)).toEqual([5_000]);
    now = await getOrder(merchant.apiKey, order.id);
    expect(now.installments[2]).toMatchObject({
      status: 'paid',
      source: 'balance_and_card',
      paidFromBalance: 5_000,
    });
    expect(now).toMatchObject({ status: 'captured', outstandingAmount: 10_000 });
    const { balance, entries } = await ledger(shopper);
    expect(balance).toBe(0);
    const [, ins2, ins3] = now.installments as [Installment, Installment, Installment];
    expect(entries.map((e) => [e.reason, e.amount, e.reference])).toEqual([
      ['refund', 15_000, expect.any(String)],
      ['installment', -10_000, `${ins2.id}#1`],
      ['installment', -5_000, `${ins3.id}#1`],
    ]);
    // Webhooks as for a card payment, with the source.
    expect((await paidEvents(order.id)).map((i) => [i.id, i.source])).toEqual([
      [now.installments[0]?.id, 'card'],
      [ins2.id, 'balance'],
      [ins3.id, 'balance_and_card'],
    ]);
    await sweep();
  });

  it('a declined card part gives the balance part back in the same step; the retry takes the balance again', async () => {
    beginTest();
    const merchant = await newMerchant();
    const shopper = await newShopper();
    const order = await capturedOrder(merchant, shopper, 40_000);
    await credit(shopper.customerId, 4_000);

    counting('decline');
    const declined = await runCollection<Json>(day(14));
    expect(declined, JSON.stringify(declined)).toMatchObject({ paid: 0, failed: { soft: 1 } });
    let now = await getOrder(merchant.apiKey, order.id);
    expect(now.installments[1]).toMatchObject({ status: 'failed', attempts: 1 });
    expect(now.installments[1]?.paidFromBalance).toBeUndefined();
    let book = await ledger(shopper);
    expect(book.balance).toBe(4_000);
    const ins2 = now.installments[1] as Installment;
    expect(book.entries.slice(1).map((e) => [e.reason, e.amount, e.reference])).toEqual([
      ['installment', -4_000, `${ins2.id}#1`],
      ['installment_reversal', 4_000, `${ins2.id}#1`],
    ]);

    // The dunning retry (+1 day): the balance part again, the card the rest.
    const charges = counting();
    expect(await runCollection<Json>(day(15))).toMatchObject({ paid: 1, paidBalanceAndCard: 1 });
    expect(charges.map((c) => [c.amount, c.idempotencyKey])).toEqual([[6_000, `${ins2.id}#2`]]);
    now = await getOrder(merchant.apiKey, order.id);
    expect(now.installments[1]).toMatchObject({ status: 'paid', paidFromBalance: 4_000, attempts: 2 });
    book = await ledger(shopper);
    expect(book.balance).toBe(0);
    expect(book.entries.at(-1)).toMatchObject({
      reason: 'installment',
      amount: -4_000,
      reference: `${ins2.id}#2`,
    });
    await sweep();
  });

  it('a charge that never reached the processor: the reconciler gives the balance part back and claims again; nothing lost or doubled', async () => {
    beginTest();
    const merchant = await newMerchant();
    const shopper = await newShopper();
    const order = await capturedOrder(merchant, shopper, 40_000);
    await credit(shopper.customerId, 2_500);

    counting('dead');
    await runCollection<Json>(day(14));
    let now = await getOrder(merchant.apiKey, order.id);
    // Crashed between the claim (debit committed with it) and the charge.
    expect(now.installments[1]).toMatchObject({ status: 'charging', attempts: 1, paidFromBalance: 2_500 });
    expect((await ledger(shopper)).balance).toBe(0);

    const charges = counting();
    clock.advance(CHARGING_TIMEOUT_MS + 60_000);
    const reconciled = await runCollection<Json>(isoDay(clock.now()));
    expect(reconciled, JSON.stringify(reconciled)).toMatchObject({ reconciled: 1, paid: 1 });
    const ins2 = now.installments[1] as Installment;
    expect(charges.map((c) => [c.amount, c.idempotencyKey])).toEqual([[7_500, `${ins2.id}#2`]]);
    now = await getOrder(merchant.apiKey, order.id);
    expect(now.installments[1]).toMatchObject({ status: 'paid', attempts: 2, paidFromBalance: 2_500 });
    const book = await ledger(shopper);
    expect(book.balance).toBe(0);
    expect(book.entries.slice(1).map((e) => [e.reason, e.amount, e.reference])).toEqual([
      ['installment', -2_500, `${ins2.id}#1`],
      ['installment_reversal', 2_500, `${ins2.id}#1`],
      ['installment', -2_500, `${ins2.id}#2`],
    ]);
    await sweep();
  });

  it('the shopper pays one installment, then the rest, from the balance over HTTP; a replay or a repeat moves nothing; a refund gives it back to the balance', async () => {
    beginTest();
    const merchant = await newMerchant();
    const shopper = await newShopper();
    const order = await capturedOrder(merchant, shopper, 40_000);
    const [, ins2] = (await getOrder(merchant.apiKey, order.id)).installments as [Installment, Installment];

    const short = await payFromBalance(shopper, order.id, { installmentId: ins2.id });
    expect([short.status, short.json.error?.code]).toEqual([422, 'insufficient_balance']);
    await credit(shopper.customerId, 35_000);

    const key = idempotencyKey();
    const one = await payFromBalance(shopper, order.id, { installmentId: ins2.id }, key);
    expect(one.status, one.text).toBe(200);
    expect(one.json).toMatchObject({
      object: 'payoff',
      status: 'succeeded',
      source: 'balance',
      amount: 10_000,
      installments: [{ installmentId: ins2.id, amount: 10_000, status: 'paid' }],
    });
    const replay = await payFromBalance(shopper, order.id, { installmentId: ins2.id }, key);
    expect(replay.text).toBe(one.text);
    const again = await payFromBalance(shopper, order.id, { installmentId: ins2.id });
    expect([again.status, again.json.error?.code]).toEqual([422, 'order_not_payable']);
    expect((await ledger(shopper)).balance).toBe(25_000);

    // Everything else: 20,000 of the 25,000 left.
    const rest = await payFromBalance(shopper, order.id);
    expect(rest.status, rest.text).toBe(200);
    expect(rest.json).toMatchObject({ amount: 20_000, source: 'balance' });
    let now = await getOrder(merchant.apiKey, order.id);
    expect(now).toMatchObject({ status: 'paid_off', outstandingAmount: 0 });
    expect((await ledger(shopper)).balance).toBe(5_000);
    const done = await payFromBalance(shopper, order.id);
    expect([done.status, done.json.error?.code]).toEqual([422, 'order_not_payable']);

    // A full refund: the card's 100.00 goes back to the card, the balance's 300.00 to the balance at once.
    const refund = await merchantPost<Json & { id: string }>(
      merchant.apiKey,
      `/v1/orders/${order.id}/refunds`,
      {
        amount: 40_000,
      },
    );
    expect(refund.status, refund.text).toBe(201);
    now = await getOrder(merchant.apiKey, order.id);
    expect(now.status).toBe('refunded');
    const book = await ledger(shopper);
    expect(book.balance).toBe(35_000);
    expect(book.entries.at(-1)).toMatchObject({
      reason: 'refund',
      amount: 30_000,
      reference: `${refund.json.id}#balance`,
    });
    await sweep();
  });

  it('10 concurrent balance payments racing one balance never overdraw; concurrent collections of one installment debit once', async () => {
    beginTest();
    const merchant = await newMerchant();
    const shopper = await newShopper();
    const orders: Order[] = [];
    for (let i = 0; i < 10; i++) {
      // 13 minutes apart: within the checkout velocity rule (5 an hour) of account monitoring.
      clock.advance(13 * 60_000);
      const signedIn = { ...shopper, sessionToken: await signIn(app(), shopper.email, shopper.password) };
      orders.push(await getOrder(merchant.apiKey, (await capturedOrder(merchant, signedIn, 4_000)).id));
    }
    await credit(shopper.customerId, 4_500); // covers 4 installments of 1,000, not 5
    const session = { sessionToken: await signIn(app(), shopper.email, shopper.password) };
    const results = await Promise.all(
      orders.map((o) => payFromBalance(session, o.id, { installmentId: o.installments[1]?.id })),
    );
    const ok = results.filter((r) => r.status === 200).length;
    for (const r of results.filter((x) => x.status !== 200)) {
      expect(['insufficient_balance', 'concurrent_update']).toContain(r.json.error?.code);
    }
    expect(ok).toBeGreaterThanOrEqual(1);
    expect(ok).toBeLessThanOrEqual(4);
    let book = await ledger(shopper);
    expect(book.balance).toBe(4_500 - ok * 1_000);
    const paid: boolean[] = [];
    for (const o of orders)
      paid.push((await getOrder(merchant.apiKey, o.id)).installments[1]?.status === 'paid');
    expect(paid.filter(Boolean)).toHaveLength(ok);

    // The same installment collected by five workers at once (redelivered messages): one debit.
    await credit(shopper.customerId, 10_000);
    const target = orders.find((_o, i) => !paid[i]) as Order;
    const ref = { orderId: target.id, installmentId: target.installments[1]?.id as string };
    const outcomes = await Promise.all(
      Array.from({ length: 5 }, () => collectInstallment(ref, day(14), real, clock)),
    );
    expect(outcomes.filter((o) => o.result === 'paid')).toHaveLength(1);
    expect(outcomes.filter((o) => o.result === 'paid')[0]).toMatchObject({
      source: 'balance',
      charged: false,
    });
    book = await ledger(shopper);
    expect(book.entries.filter((e) => e.reference.startsWith(ref.installmentId))).toHaveLength(1);
    expect(book.balance).toBe(4_500 - ok * 1_000 + 10_000 - 1_000);
    await sweep();
  });

  it('the whole flow over HTTP: a refund credited to the balance, then the next installment paid from it', async () => {
    beginTest();
    const merchant = await newMerchant();
    const shopper = await newShopper(REFUND_FAILS);
    const { secret } = await enrollTotp(app(), shopper.sessionToken);
    const refunded = await capturedOrder(merchant, shopper, 40_000);
    const next = await capturedOrder(merchant, shopper, 40_000);
    const refund = await merchantPost<Json & { id: string }>(
      merchant.apiKey,
      `/v1/orders/${refunded.id}/refunds`,
      { amount: 40_000 },
    );
    expect(refund.status, refund.text).toBe(201);
    // The card refuses the return on days 0, +1, +3 and +7: the 100.00 collected is credited to the balance.
    for (const d of [1, 3, 7]) await runCollection(day(d));
    const session = await signIn(app(), shopper.email, shopper.password, secret);
    const credited = await app().call<{ entries: Entry[] }>('GET', '/v1/me/balance', { auth: session });
    expect(credited.json.entries).toMatchObject([
      { reason: 'refund', amount: 10_000, reference: refund.json.id },
    ]);

    const counts = await runCollection<Json>(day(14));
    expect(counts, JSON.stringify(counts)).toMatchObject({ paidFromBalance: 1, charged: 0 });
    const now = await getOrder(merchant.apiKey, next.id);
    expect(now.installments[1]).toMatchObject({ status: 'paid', source: 'balance', paidFromBalance: 10_000 });
    const after = await app().call<{ balances: Array<{ amount: number }>; entries: Entry[] }>(
      'GET',
      '/v1/me/balance',
      { auth: await signIn(app(), shopper.email, shopper.password, secret) },
    );
    expect(after.json.balances).toEqual([{ amount: 0, currency: 'USD' }]);
    expect(after.json.entries.map((e) => [e.reason, e.amount])).toEqual([
      ['refund', 10_000],
      ['installment', -10_000],
    ]);
    await sweep();
  });
});
