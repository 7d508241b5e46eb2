import { afterAll, describe, expect, it } from 'vitest';
import { DAY_MS, fixedClock, isoDay } from '../../functions/lib/clock.ts';
import { listOutbox } from '../../functions/lib/notifier.ts';
import { setCardProcessor } from '../../functions/payments/processor.ts';
import { appWithClock } from '../support/app.ts';
import { checkoutFixtures, idempotencyKey, type Json } from '../support/checkout.ts';
import { signIn, stepUp } from '../support/customers.ts';

// Disputes end to end through HTTP, under an injected clock (the gateway runs in-process and sees
// it): file mid-plan, collection charges nothing and no fee accrues, then each resolution.
const START = Date.parse('2026-06-01T10:00:00Z');
const clock = fixedClock(new Date(START));
let base = START;
const testApp = appWithClock(clock);
afterAll(() => setCardProcessor(undefined));

const { newMerchant, newShopper, merchantPost, events, runCollection, capturedOrder, openSession, approve } =
  checkoutFixtures(testApp);

type Installment = {
  id: string;
  seq: number;
  status: string;
  amount: number;
  dueDate: string;
  refundedAmount: number;
};
type Order = Json & {
  id: string;
  status: string;
  disputed: boolean;
  outstandingAmount: number;
  capturedAmount: number;
  refundedAmount: number;
  lateFeesAmount: number;
  installments: Installment[];
  refunds: Array<{
    returnedAmount: number;
    reducedAmount: number;
    cardRefunds: Array<{ amount: number; status: string }>;
  }>;
};
type Dispute = Json & {
  id: string;
  status: string;
  orderId: string;
  evidence: Array<{ text: string }>;
  resolution?: { outcome: string; pausedDays: number; creditedAmount: number; cancelledAmount: number };
};
type Run = Json & { charged: number; fees: number; skipped: { reasons: Record<string, number> } };
type Shopper = Awaited<ReturnType<typeof newShopper>>;

const onDay = (days: number) => clock.set(new Date(base + days * DAY_MS));
const dayOf = (days: number) => isoDay(new Date(base + days * DAY_MS));
async function collectOn(days: number): Promise<Run> {
  onDay(days);
  return runCollection<Run>(isoDay(clock.now()));
}

/** A fresh merchant and shopper with a pay_in_4 order of USD 400.00 captured on day 0 (base). */
async function plan(card?: string) {
  base = Date.parse(`${isoDay(new Date(clock.now().getTime() + DAY_MS))}T10:00:00Z`);
  clock.set(new Date(base));
  const merchant = await newMerchant();
  const shopper = await newShopper(card);
  const order = await capturedOrder(merchant, shopper, 40_000);
  return { merchant, shopper, orderId: order.id };
}

async function getOrder(apiKey: string, id: string): Promise<Order> {
  const res = await testApp().call<Order>('GET', `/v1/orders/${id}`, { auth: apiKey });
  expect(res.status, res.text).toBe(200);
  return res.json;
}

/** Files as the shopper (signed in again: sessions last 15 minutes and the clock jumps days). */
async function file(shopper: Shopper, body: Json) {
  const session = await signIn(testApp(), shopper.email, shopper.password);
  return testApp().call<Dispute>('POST', '/v1/me/disputes', { auth: session, body });
}

const resolve = (id: string, body: Json) =>
  testApp().call<Dispute>('POST', `/v1/admin/disputes/${id}/resolve`, { auth: testApp().operator, body });

const unpaidSum = (order: Order) =>
  order.installments
    .filter((i) => i.status !== 'paid' && i.status !== 'cancelled')
    .reduce((s, i) => s + i.amount, 0);

const disputeItems = async () =>
  ((await testApp().scanAll()).main ?? []).filter((item) => String(item.pk).startsWith('DISPUTE#'));

const PLAY = { timeout: 300_000 };

/** The merchant-ledger entries charging a dispute to the merchant (settlements, ADR 0020). */
const liabilityEntries = (tables: Record<string, Record<string, unknown>[]>, disputeId: string) =>
  (tables.main ?? []).filter((i) => i.kind === 'dispute_liability' && JSON.stringify(i).includes(disputeId));

describe('a dispute rejected: collection pauses, then resumes with the schedule shifted', PLAY, () => {
  it('files mid-plan, charges nothing and accrues no fee while disputed, then shifts every unpaid date by the days paused', async () => {
    const { merchant, shopper, orderId } = await plan();
    expect((await collectOn(14)).charged).toBe(1); // installment 2 of 4

    onDay(15);
    const filed = await file(shopper, { orderId, reason: 'unauthorized' });
    expect(filed.status, filed.text).toBe(201);
    expect(filed.json).toMatchObject({ object: 'dispute', status: 'under_review', orderId, amount: 40_000 });
    // Filing twice returns the same dispute.
    const again = await file(shopper, { orderId, reason: 'not_recognized' });
    expect(again.status).toBe(200);
    expect(again.json.id).toBe(filed.json.id);
    let order = await getOrder(merchant.apiKey, orderId);
    expect(order).toMatchObject({ disputed: true, status: 'captured', outstandingAmount: 20_000 });
    expect((await events(filed.json.id)).map((e) => e.type)).toEqual(['dispute.created']);

    // Paused: the run on installment 3's due day (day 28) and its late-fee day (38) charge nothing.
    const due = await collectOn(28);
    expect(due.charged).toBe(0);
    expect(due.skipped.reasons.disputed).toBe(1);
    const feeDay = await collectOn(38);
    expect(feeDay).toMatchObject({ charged: 0, fees: 0 });
    order = await getOrder(merchant.apiKey, orderId);
    expect(order).toMatchObject({ lateFeesAmount: 0, outstandingAmount: 20_000 });
    expect(order.installments.map((i) => i.dueDate)).toEqual([0, 14, 28, 42].map(dayOf));
    // No capture, payoff or extension while disputed.
    const payoff = await testApp().call('POST', `/v1/me/orders/${orderId}/payoff`, {
      auth: await signIn(testApp(), shopper.email, shopper.password),
      headers: { 'Idempotency-Key': idempotencyKey() },
    });
    expect(payoff.status).toBe(422);
    expect(payoff.json).toMatchObject({ error: { code: 'order_disputed' } });

    // Day 40: rejected after 25 days: installments 3 and 4 move from days 28 and 42 to 53 and 67.
    onDay(40);
    const resolved = await resolve(filed.json.id, {
      outcome: 'rejected',
      note: 'The purchase was made from your usual device.',
    });
    expect(resolved.status, resolved.text).toBe(200);
    expect(resolved.json).toMatchObject({
      status: 'won',
      resolution: { outcome: 'rejected', pausedDays: 25 },
    });
    order = await getOrder(merchant.apiKey, orderId);
    expect(order.disputed).toBe(false);
    expect(order.installments.map((i) => i.dueDate)).toEqual([0, 14, 53, 67].map(dayOf));
    expect(order.outstandingAmount).toBe(unpaidSum(order));
    // The same outcome again is the same answer; the other outcome is refused.
    expect((await resolve(filed.json.id, { outcome: 'rejected', note: 'again' })).status).toBe(200);
    const flip = await resolve(filed.json.id, { outcome: 'fraud_confirmed', note: 'flip' });
    expect(flip.status).toBe(422);
    expect(flip.json).toMatchObject({ error: { code: 'dispute_resolved' } });

    // Collection resumes on the shifted dates, not before.
    expect((await collectOn(52)).charged).toBe(0);
    expect((await collectOn(53)).charged).toBe(1);
    expect((await collectOn(67)).charged).toBe(1);
    order = await getOrder(merchant.apiKey, orderId);
    expect(order).toMatchObject({ status: 'paid_off', outstandingAmount: 0, lateFeesAmount: 0 });

    expect((await events(filed.json.id)).map((e) => e.type)).toEqual(['dispute.created', 'dispute.resolved']);
    const told = (await listOutbox(shopper.customerId, 100)).find((m) => m.subject.includes(filed.json.id));
    expect(told?.text).toContain('The purchase was made from your usual device.');
    expect(told?.text).toContain('25 days later');
  });
});

describe('a dispute with fraud confirmed: the shopper owes nothing', PLAY, () => {
  it('cancels what is unpaid, refunds everything collected to the card, flags the card, tells the merchant', async () => {
    const { merchant, shopper, orderId } = await plan();
    expect((await collectOn(14)).charged).toBe(1);
    onDay(15);
    const filed = await file(shopper, { orderId, reason: 'card_lost_or_stolen' });
    expect(filed.status, filed.text).toBe(201);

    // The merchant sees it, and adds evidence (a card number in it is refused).
    const list = await testApp().call<{ data: Dispute[] }>('GET', '/v1/disputes', { auth: merchant.apiKey });
    expect(list.json.data.map((d) => d.id)).toEqual([filed.json.id]);
    const pan = await merchantPost(merchant.apiKey, `/v1/disputes/${filed.json.id}/evidence`, {
      text: 'paid with 4242 4242 4242 4242',
    });
    expect(pan.status).toBe(400);
    const evidence = await merchantPost<Dispute>(merchant.apiKey, `/v1/disputes/${filed.json.id}/evidence`, {
      text: 'Shipped to the billing address; signed for.',
    });
    expect(evidence.status, evidence.text).toBe(200);
    expect(evidence.json.evidence).toHaveLength(1);
    const other = await newMerchant();
    expect(
      (await testApp().call('GET', `/v1/disputes/${filed.json.id}`, { auth: other.apiKey })).status,
    ).toBe(404);
    const queue = await testApp().call<{ data: Dispute[] }>('GET', '/v1/admin/disputes', {
      auth: testApp().operator,
    });
    expect(queue.json.data.map((d) => d.id)).toContain(filed.json.id);

    onDay(20);
    const resolved = await resolve(filed.json.id, {
      outcome: 'fraud_confirmed',
      note: 'Card reported stolen.',
    });
    expect(resolved.status, resolved.text).toBe(200);
    expect(resolved.json).toMatchObject({
      status: 'lost',
      resolution: { outcome: 'fraud_confirmed', creditedAmount: 20_000, cancelledAmount: 20_000 },
    });
    const order = await getOrder(merchant.apiKey, orderId);
    expect(order).toMatchObject({
      status: 'refunded',
      disputed: false,
      outstandingAmount: 0,
      refundedAmount: 40_000,
    });
    expect(order.outstandingAmount).toBe(unpaidSum(order));
    expect(order.installments.map((i) => i.status)).toEqual(['paid', 'paid', 'cancelled', 'cancelled']);
    const credit = order.refunds.at(-1);
    expect(credit).toMatchObject({ returnedAmount: 20_000, reducedAmount: 20_000 });
    expect(credit?.cardRefunds.map((r) => [r.amount, r.status])).toEqual([
      [10_000, 'succeeded'],
      [10_000, 'succeeded'],
    ]);
    // Collection finds nothing to charge on it any more.
    expect((await collectOn(28)).charged).toBe(0);
    const tables = await testApp().scanAll();
    const flags = (tables.main ?? []).filter((i) => i.type === 'cardFlag');
    expect(flags).toEqual([
      expect.objectContaining({
        pk: expect.stringMatching(/^CARDFLAG#fp_/),
        cardToken: shopper.cardToken,
        disputeId: filed.json.id,
      }),
    ]);
    expect(
      (tables.main ?? [])
        .filter((i) => i.type === 'audit' && i.subject === filed.json.id)
        .map((i) => i.action)
        .sort(),
    ).toEqual(['dispute.evidence_submitted', 'dispute.filed', 'dispute.resolved']);
    expect((await events(filed.json.id)).map((e) => e.type)).toEqual([
      'dispute.created',
      'dispute.evidence_submitted',
      'dispute.resolved',
    ]);
    expect((await events(orderId)).map((e) => e.type)).toContain('order.refunded');
    // Digital goods (no shipping address): the fraud is Tessera's loss, nothing charged to the merchant.
    expect(liabilityEntries(tables, filed.json.id)).toEqual([]);
    // Evidence is closed once resolved.
    const late = await merchantPost(merchant.apiKey, `/v1/disputes/${filed.json.id}/evidence`, {
      text: 'more',
    });
    expect(late.json).toMatchObject({ error: { code: 'dispute_resolved' } });

    // The shopper sees their dispute and its outcome, not the merchant's evidence; nobody else sees it.
    const session = await signIn(testApp(), shopper.email, shopper.password);
    const mine = await testApp().call<{ data: Array<Record<string, unknown>>; hasMore: boolean }>(
      'GET',
      '/v1/me/disputes',
      { auth: session },
    );
    expect(mine.status, mine.text).toBe(200);
    expect(mine.json.data).toEqual([
      expect.objectContaining({
        id: filed.json.id,
        orderId,
        status: 'lost',
        resolution: expect.objectContaining({ outcome: 'fraud_confirmed', creditedAmount: 20_000 }),
      }),
    ]);
    expect(mine.json.data[0]).not.toHaveProperty('evidence');
    expect(mine.text).not.toContain('signed for');
    const stranger = await newShopper();
    const theirs = await testApp().call<{ data: unknown[] }>('GET', '/v1/me/disputes', {
      auth: stranger.sessionToken,
    });
    expect(theirs.json.data).toEqual([]);
    expect((await testApp().call('GET', '/v1/me/disputes?limit=0', { auth: session })).status).toBe(400);
    expect((await testApp().call('GET', '/v1/me/disputes')).status).toBe(401);
  });
});

describe('fraud confirmed after a late fee was paid: the fee comes back too', PLAY, () => {
  it('credits the installment with its fee', async () => {
    const { merchant, shopper, orderId } = await plan('4000000000000002');
    for (const day of [1, 3, 7]) await collectOn(day);
    expect((await collectOn(10)).fees).toBe(1); // USD 7.00 on installment 1
    // The shopper sets a good card; the next run collects installment 1 with its fee.
    const session = await signIn(testApp(), shopper.email, shopper.password);
    const card = await testApp().call<{ token: string }>('POST', '/v1/me/cards', {
      auth: session,
      headers: { 'Step-Up-Token': await stepUp(testApp(), session, 'add_card') },
      body: { number: '4242424242424242', expMonth: 12, expYear: 2030, cvc: '123' },
    });
    expect(card.status, card.text).toBe(201);
    const changed = await testApp().call('PUT', `/v1/me/orders/${orderId}/card`, {
      auth: session,
      body: { cardToken: card.json.token },
    });
    expect(changed.status, changed.text).toBe(200);
    expect((await collectOn(11)).charged).toBe(1);
    let order = await getOrder(merchant.apiKey, orderId);
    expect(order.installments[0]).toMatchObject({ status: 'paid', amount: 10_700 });

    onDay(12);
    const filed = await file(shopper, { orderId, reason: 'account_takeover' });
    expect(filed.status, filed.text).toBe(201);
    const resolved = await resolve(filed.json.id, { outcome: 'fraud_confirmed', note: 'Confirmed.' });
    expect(resolved.json).toMatchObject({ resolution: { creditedAmount: 10_700, cancelledAmount: 30_000 } });
    order = await getOrder(merchant.apiKey, orderId);
    expect(order).toMatchObject({ status: 'refunded', outstandingAmount: 0 });
    expect(order.refunds.at(-1)?.cardRefunds).toEqual([
      expect.objectContaining({ amount: 10_700, status: 'succeeded' }),
    ]);
    // The card flagged is the order's card after the change, by that card's fingerprint.
    const tables = await testApp().scanAll();
    const fingerprint = (tables.vault ?? []).find((i) => i.pk === `TOKEN#${card.json.token}`)?.fingerprintId;
    expect(fingerprint).toMatch(/^fp_/);
    expect((tables.main ?? []).filter((i) => i.type === 'cardFlag' && i.disputeId === filed.json.id)).toEqual(
      [expect.objectContaining({ pk: `CARDFLAG#${fingerprint}`, cardToken: card.json.token })],
    );
  });
});

describe('a card flagged by a confirmed fraud stays flagged whatever its token', PLAY, () => {
  /** The rules of the shopper's declined checkout decisions (stored before the 402 answers). */
  const declinedRules = async (customerId: string) =>
    ((await testApp().scanAll()).main ?? [])
      .filter((i) => i.type === 'riskDecision' && i.customerId === customerId && i.decision === 'decline')
      .map((i) => (i.fired as Array<{ rule: string }>).map((f) => f.rule));

  /** Saves `number` as a card of the shopper (a fresh step-up); returns its token. */
  async function addCard(session: string, number: string): Promise<string> {
    const card = await testApp().call<{ token: string }>('POST', '/v1/me/cards', {
      auth: session,
      headers: { 'Step-Up-Token': await stepUp(testApp(), session, 'add_card') },
      body: { number, expMonth: 12, expYear: 2030, cvc: '123' },
    });
    expect(card.status, card.text).toBe(201);
    return card.json.token;
  }

  it('declines a checkout with the card deleted and added again (new token), and with another customer adding it after 30 days', async () => {
    const number = '5555555555554444';
    const { merchant, shopper, orderId } = await plan(number);
    onDay(15);
    const filed = await file(shopper, { orderId, reason: 'unauthorized' });
    expect(filed.status, filed.text).toBe(201);
    expect((await resolve(filed.json.id, { outcome: 'fraud_confirmed', note: 'Stolen.' })).status).toBe(200);

    const saved = process.env.RISK_CONFIG;
    delete process.env.RISK_CONFIG; // monitoring on, with the default rules
    try {
      // The shopper deletes the card and adds the same number again: a new token.
      const session = await signIn(testApp(), shopper.email, shopper.password);
      const deleted = await testApp().call('DELETE', `/v1/me/cards/${shopper.cardToken}`, { auth: session });
      expect(deleted.status, deleted.text).toBe(200);
      const cardToken = await addCard(session, number);
      expect(cardToken).not.toBe(shopper.cardToken);
      const again = await approve(
        { sessionToken: session, cardToken },
        (await openSession(merchant.apiKey)).id,
      );
      expect(again.status, again.text).toBe(402);
      expect(again.json).toMatchObject({ error: { code: 'risk_declined' } });
      expect(await declinedRules(shopper.customerId)).toEqual([['flagged_card']]);

      // Past the shared-card rule's 30 days, another customer adds the card: declined at checkout.
      onDay(60);
      const other = await newShopper(number);
      const theirs = await approve(other, (await openSession(merchant.apiKey)).id);
      expect(theirs.status, theirs.text).toBe(402);
      expect(await declinedRules(other.customerId)).toEqual([['flagged_card']]);
    } finally {
      process.env.RISK_CONFIG = saved;
    }
  });
});

describe('refusals: another shopper, bad input, nothing written', PLAY, () => {
  it('answers a clear 4xx and writes nothing', async () => {
    const { merchant, shopper, orderId } = await plan();
    const stranger = await newShopper();
    const before = (await disputeItems()).length;

    expect((await file(stranger, { orderId, reason: 'unauthorized' })).status).toBe(404);
    const bad: Array<[Json, number, string]> = [
      [{ orderId }, 400, 'parameter_invalid'],
      [{ orderId, reason: 'changed_my_mind' }, 400, 'parameter_invalid'],
      [{ orderId: 'ord_nope', reason: 'unauthorized' }, 400, 'parameter_invalid'],
      [{ orderId, reason: 'unauthorized', extra: 1 }, 400, 'parameter_unknown'],
      [{ orderId: 'ord_4242424242424242', reason: 'unauthorized' }, 400, 'parameter_invalid'],
    ];
    for (const [body, status, code] of bad) {
      const res = await file(shopper, body);
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(res.json).toMatchObject({ error: { code } });
    }
    const noAuth = await testApp().call('POST', '/v1/me/disputes', {
      body: { orderId, reason: 'unauthorized' },
    });
    expect(noAuth.status).toBe(401);
    // Merchant and operator routes.
    const missing = 'dsp_01JNJ3Y7ZQ8M4N5P6Q7R8S9T0V';
    expect((await testApp().call('GET', `/v1/disputes/${missing}`, { auth: merchant.apiKey })).status).toBe(
      404,
    );
    expect((await testApp().call('GET', '/v1/disputes/nope', { auth: merchant.apiKey })).status).toBe(400);
    expect((await testApp().call('GET', '/v1/disputes?limit=0', { auth: merchant.apiKey })).status).toBe(400);
    expect(
      (await testApp().call('GET', '/v1/disputes?startingAfter=forged', { auth: merchant.apiKey })).json,
    ).toMatchObject({
      error: { code: 'invalid_cursor' },
    });
    expect(
      (await merchantPost(merchant.apiKey, `/v1/disputes/${missing}/evidence`, { text: 'x' })).status,
    ).toBe(404);
    expect(
      (await merchantPost(merchant.apiKey, `/v1/disputes/${missing}/evidence`, { text: '' })).status,
    ).toBe(400);
    expect((await resolve(missing, { outcome: 'maybe', note: 'x' })).status).toBe(400);
    expect((await resolve(missing, { outcome: 'rejected' })).status).toBe(400);
    expect((await resolve(missing, { outcome: 'rejected', note: 'x' })).status).toBe(404);
    expect(
      (await testApp().call('GET', '/v1/admin/disputes?status=open', { auth: testApp().operator })).status,
    ).toBe(400);
    expect(
      (
        await testApp().call('POST', `/v1/admin/disputes/${missing}/resolve`, {
          auth: merchant.apiKey,
          body: { outcome: 'rejected', note: 'x' },
        })
      ).status,
    ).toBe(401);

    expect(await disputeItems()).toHaveLength(before);
    expect((await getOrder(merchant.apiKey, orderId)).disputed).toBe(false);
  });
});

describe('fraud confirmed on goods shipped without tracking: the merchant bears it (ADR 0020)', PLAY, () => {
  it('books one dispute_liability entry of what was captured, once', async () => {
    base = Date.parse(`${isoDay(new Date(clock.now().getTime() + DAY_MS))}T10:00:00Z`);
    clock.set(new Date(base));
    const merchant = await newMerchant();
    const shopper = await newShopper();
    const session = await openSession(merchant.apiKey, 40_000, {
      shippingAddress: { line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'US' },
    });
    const approval = await approve(shopper, session.id);
    expect(approval.status, approval.text).toBe(200);
    const order = await merchantPost<Json & { id: string }>(merchant.apiKey, '/v1/orders', {
      authorizationToken: approval.json.authorizationToken,
    });
    expect(order.status, order.text).toBe(201);
    const capture = await merchantPost(merchant.apiKey, `/v1/orders/${order.json.id}/captures`, {
      amount: 40_000,
    });
    expect(capture.status, capture.text).toBe(201);
    onDay(3);
    const filed = await file(shopper, { orderId: order.json.id, reason: 'card_lost_or_stolen' });
    expect(filed.status, filed.text).toBe(201);
    onDay(5);
    const resolved = await resolve(filed.json.id, { outcome: 'fraud_confirmed', note: 'Stolen card.' });
    expect(resolved.status, resolved.text).toBe(200);
    const entries = liabilityEntries(await testApp().scanAll(), filed.json.id);
    expect(entries.length).toBeGreaterThan(0);
    expect(JSON.stringify(entries)).toContain('40000');
    // Resolving again with the same outcome changes nothing and books nothing more.
    expect((await resolve(filed.json.id, { outcome: 'fraud_confirmed', note: 'again' })).status).toBe(200);
    expect(liabilityEntries(await testApp().scanAll(), filed.json.id)).toHaveLength(entries.length);
  });
});
