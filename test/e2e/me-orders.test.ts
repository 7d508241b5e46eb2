import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY_MS, fixedClock, isoDay, setClock } from '../../functions/lib/clock.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { checkoutFixtures, idempotencyKey, type Json } from '../support/checkout.ts';
import { signIn, stepUp } from '../support/customers.ts';

// Shopper self-service over HTTP. The gateway runs in-process, so the handlers and collection see
// this clock; time only moves forward through the file (each test starts on a later day).
const START = Date.parse('2026-05-04T10:00:00Z');
const clock = fixedClock(new Date(START));
let base = START;
let app: TestApp;
beforeAll(async () => {
  setClock(clock);
  app = await startTestApp();
});
afterAll(async () => {
  await app?.close();
  setClock(undefined);
});

const {
  newMerchant,
  newShopper,
  events,
  runCollection,
  authorizedOrder,
  merchantPost,
  capturedOrder: captureOrder,
} = checkoutFixtures(() => app);

const GOOD = '4242424242424242';
const SOFT_DECLINE = '4000000000009995';
const STOLEN = '4000000000009979';
const PLAY = { timeout: 240_000 };

type Shopper = Awaited<ReturnType<typeof newShopper>>;
type Installment = Json & { id: string; seq: number; status: string; dueDate: string; amount: number };
type MyOrder = Json & {
  id: string;
  status: string;
  outstandingAmount: number;
  paidAmount: number;
  installments: Installment[];
  nextPayment: (Json & { installmentId: string; dueDate: string; chargeOn?: string }) | null;
  dueDateExtension: Json | null;
};
type ErrorJson = { error: { type: string; code: string; param?: string } };

/** Starts the next test on the day after whatever the previous one reached. */
function nextDay(): void {
  base = Date.parse(`${isoDay(new Date(clock.now().getTime() + DAY_MS))}T10:00:00Z`);
  clock.set(new Date(base));
}

/** A fresh session: tokens live 15 minutes, and tests move the clock by days. */
async function session(shopper: Shopper): Promise<string> {
  return signIn(app, shopper.email, shopper.password);
}

async function captured(
  merchant: { apiKey: string },
  shopper: Shopper,
  amount = 40_000,
  plan: Json = { plan: 'pay_in_4' },
) {
  return (await captureOrder(merchant, shopper, amount, plan)).id;
}

async function collectOn(days: number): Promise<void> {
  clock.set(new Date(base + days * DAY_MS));
  await runCollection(isoDay(clock.now()));
}

async function myOrder(token: string, id: string): Promise<MyOrder> {
  const res = await app.call<MyOrder>('GET', `/v1/me/orders/${id}`, { auth: token });
  expect(res.status, res.text).toBe(200);
  return res.json;
}

async function addCard(shopper: Shopper, number: string, token = shopper.sessionToken): Promise<string> {
  const approval = await stepUp(app, token, 'add_card');
  const res = await app.call<{ token: string }>('POST', '/v1/me/cards', {
    auth: token,
    headers: { 'Step-Up-Token': approval },
    body: { number, expMonth: 12, expYear: 2030, cvc: '123' },
  });
  expect(res.status, res.text).toBe(201);
  return res.json.token;
}

const shopperPost = <T = Json>(token: string, path: string, key = idempotencyKey()) =>
  app.call<T>('POST', path, { auth: token, headers: { 'Idempotency-Key': key } });

const putCard = (token: string, orderId: string, body: unknown) =>
  app.call<MyOrder & ErrorJson>('PUT', `/v1/me/orders/${orderId}/card`, { auth: token, body });

/** Charges the sandbox processor recorded for an installment (one per attempt key). */
async function processorCharges(installmentId: string): Promise<number> {
  const { main = [] } = await app.scanAll();
  return main.filter((item) => String(item.pk).startsWith(`SANDBOX#CHARGE#${installmentId}#`)).length;
}

/** The stored items of an order's partition, to prove a refused request wrote nothing. */
async function partitionItems(orderId: string) {
  const { main = [] } = await app.scanAll();
  return main.filter((item) => item.pk === `ORDER#${orderId}`);
}

describe('GET /v1/me/orders and /v1/me/orders/{id}', () => {
  it('lists the shopper’s orders newest first, a page at a time, and shows one with its schedule', async () => {
    nextDay();
    const merchant = await newMerchant();
    const shopper = await newShopper(GOOD);
    // Order ids are ULIDs: a minute apart, their order is their creation order.
    const ids: string[] = [];
    for (const amount of [40_000, 12_000, 8_000]) {
      ids.push(await captured(merchant, shopper, amount));
      clock.advance(60_000);
    }
    const first = await app.call<{ data: MyOrder[]; hasMore: boolean; nextCursor?: string }>(
      'GET',
      '/v1/me/orders?limit=2',
      { auth: shopper.sessionToken },
    );
    expect(first.status, first.text).toBe(200);
    expect(first.json.data.map((o) => o.id)).toEqual([ids[2], ids[1]]);
    expect(first.json.hasMore).toBe(true);
    const second = await app.call<{ data: MyOrder[]; hasMore: boolean; nextCursor?: string }>(
      'GET',
      `/v1/me/orders?limit=2&startingAfter=${first.json.nextCursor}`,
      { auth: shopper.sessionToken },
    );
    expect(second.json.data.map((o) => o.id)).toEqual([ids[0]]);
    expect(second.json).toMatchObject({ hasMore: false });
    expect(second.json.nextCursor).toBeUndefined();

    const order = await myOrder(shopper.sessionToken, ids[0] as string);
    expect(order).toMatchObject({
      status: 'captured',
      amount: 40_000,
      paidAmount: 10_000,
      outstandingAmount: 30_000,
      card: { brand: 'visa', last4: '4242' },
      dueDateExtension: null,
    });
    expect(order.installments.map((i) => i.status)).toEqual(['paid', 'due', 'due', 'due']);
    expect(order.nextPayment).toMatchObject({
      installmentId: order.installments[1]?.id,
      amount: 10_000,
      dueDate: isoDay(new Date(base + 14 * DAY_MS)),
      chargeOn: isoDay(new Date(base + 14 * DAY_MS)),
    });
  });

  it('keeps shoppers apart: another shopper’s order is a 404, and a cursor works only for its shopper', async () => {
    nextDay();
    const merchant = await newMerchant();
    const ann = await newShopper(GOOD);
    const bob = await newShopper(GOOD);
    const annOrder = await captured(merchant, ann);
    await captured(merchant, ann, 9_000);
    const bobOrder = await captured(merchant, bob);

    const foreign = await app.call<ErrorJson>('GET', `/v1/me/orders/${annOrder}`, { auth: bob.sessionToken });
    expect(foreign.status).toBe(404);
    expect(foreign.json.error.code).toBe('resource_missing');
    const bobList = await app.call<{ data: MyOrder[] }>('GET', '/v1/me/orders', { auth: bob.sessionToken });
    expect(bobList.json.data.map((o) => o.id)).toEqual([bobOrder]);

    const annPage = await app.call<{ nextCursor: string }>('GET', '/v1/me/orders?limit=1', {
      auth: ann.sessionToken,
    });
    const stolen = await app.call<ErrorJson>(
      'GET',
      `/v1/me/orders?startingAfter=${annPage.json.nextCursor}`,
      { auth: bob.sessionToken },
    );
    expect(stolen.status).toBe(400);
    expect(stolen.json.error).toMatchObject({ code: 'invalid_cursor', param: 'startingAfter' });

    // Every write route refuses another shopper's order alike, and writes nothing.
    const before = await partitionItems(annOrder);
    const bobCard = bob.cardToken;
    expect((await shopperPost(bob.sessionToken, `/v1/me/orders/${annOrder}/payoff`)).status).toBe(404);
    expect((await shopperPost(bob.sessionToken, `/v1/me/orders/${annOrder}/extend-due-date`)).status).toBe(
      404,
    );
    expect((await putCard(bob.sessionToken, annOrder, { cardToken: bobCard })).status).toBe(404);
    // Ann cannot put Bob's card on her order either.
    const notHers = await putCard(ann.sessionToken, annOrder, { cardToken: bobCard });
    expect(notHers.status).toBe(404);
    expect(notHers.json.error).toMatchObject({ code: 'resource_missing', param: 'cardToken' });
    expect(await partitionItems(annOrder)).toEqual(before);

    // A merchant key is no session.
    expect((await app.call('GET', '/v1/me/orders', { auth: merchant.apiKey })).status).toBe(401);
    expect((await app.call('GET', '/v1/me/orders')).status).toBe(401);
  });

  it('answers bad input with a 400 and writes nothing', async () => {
    nextDay();
    const merchant = await newMerchant();
    const shopper = await newShopper(GOOD);
    const orderId = await captured(merchant, shopper);
    const token = shopper.sessionToken;
    const before = await partitionItems(orderId);
    const cases: Array<[string, string, unknown, string]> = [
      ['GET', '/v1/me/orders?limit=0', undefined, 'parameter_invalid'],
      ['GET', '/v1/me/orders?limit=101', undefined, 'parameter_invalid'],
      ['GET', '/v1/me/orders?color=red', undefined, 'parameter_unknown'],
      ['GET', '/v1/me/orders?startingAfter=c1.b3JkXzE.AAAA', undefined, 'invalid_cursor'],
      ['GET', '/v1/me/orders/ord_nope', undefined, 'parameter_invalid'],
      ['PUT', `/v1/me/orders/${orderId}/card`, {}, 'parameter_missing'],
      ['PUT', `/v1/me/orders/${orderId}/card`, { cardToken: 'card_1' }, 'parameter_invalid'],
      ['PUT', `/v1/me/orders/${orderId}/card`, { cardToken: shopper.cardToken, x: 1 }, 'parameter_unknown'],
      ['PUT', '/v1/me/orders/nope/card', { cardToken: shopper.cardToken }, 'parameter_invalid'],
    ];
    for (const [method, path, body, code] of cases) {
      const res = await app.call<ErrorJson>(method, path, { auth: token, ...(body ? { body } : {}) });
      expect(res.status, `${method} ${path}`).toBe(400);
      expect(res.json.error.code, `${method} ${path}`).toBe(code);
    }
    const noBody = await app.call<ErrorJson>('PUT', `/v1/me/orders/${orderId}/card`, { auth: token });
    expect(noBody.status).toBe(400);
    for (const action of ['payoff', 'extend-due-date']) {
      const badId = await shopperPost<ErrorJson>(token, `/v1/me/orders/ord_1/${action}`);
      expect(badId.status).toBe(400);
      expect(badId.json.error).toMatchObject({ code: 'parameter_invalid', param: 'id' });
      const noKey = await app.call<ErrorJson>('POST', `/v1/me/orders/${orderId}/${action}`, { auth: token });
      expect(noKey.status).toBe(400);
      expect(noKey.json.error.code).toBe('idempotency_key_missing');
    }
    expect(await partitionItems(orderId)).toEqual(before);
  });
});

describe('POST /v1/me/orders/{id}/payoff', PLAY, () => {
  it('pays everything still owed at once, idempotently; the order ends paid_off', async () => {
    nextDay();
    const merchant = await newMerchant();
    const shopper = await newShopper(GOOD);
    const orderId = await captured(merchant, shopper);
    const key = idempotencyKey();
    const paid = await shopperPost<Json & { order: MyOrder; installments: Json[] }>(
      shopper.sessionToken,
      `/v1/me/orders/${orderId}/payoff`,
      key,
    );
    expect(paid.status, paid.text).toBe(200);
    expect(paid.json).toMatchObject({
      object: 'payoff',
      status: 'succeeded',
      amount: 30_000,
      currency: 'USD',
    });
    expect(paid.json.installments).toHaveLength(3);
    expect(paid.json.order).toMatchObject({ status: 'paid_off', outstandingAmount: 0, paidAmount: 40_000 });
    expect(paid.json.order.nextPayment).toBeNull();

    // The same key replays the answer byte for byte and charges nothing more.
    const replay = await shopperPost(shopper.sessionToken, `/v1/me/orders/${orderId}/payoff`, key);
    expect(replay.status).toBe(200);
    expect(replay.text).toBe(paid.text);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    for (const installment of paid.json.order.installments)
      expect(await processorCharges(installment.id)).toBe(1);

    const again = await shopperPost<ErrorJson>(shopper.sessionToken, `/v1/me/orders/${orderId}/payoff`);
    expect(again.status).toBe(422);
    expect(again.json.error.code).toBe('order_not_payable');
    const types = (await events(orderId)).map((e) => e.type);
    expect(types.filter((t) => t === 'installment.paid')).toHaveLength(4);
    expect(types.at(-1)).toBe('order.paid_off');
    // Nothing is left for collection.
    await collectOn(14);
    for (const installment of paid.json.order.installments)
      expect(await processorCharges(installment.id)).toBe(1);
  });

  it('works during dunning: a declined payoff is a 402, then on another card it pays the failed installment too', async () => {
    nextDay();
    const merchant = await newMerchant();
    const shopper = await newShopper(SOFT_DECLINE);
    const orderId = await captured(merchant, shopper);
    let order = await myOrder(shopper.sessionToken, orderId);
    const first = order.installments[0] as Installment;
    expect(first).toMatchObject({ status: 'failed', attempts: 1 });
    // Dunning: the retry of day +1 is pending.
    expect(order.nextPayment).toMatchObject({
      installmentId: first.id,
      chargeOn: isoDay(new Date(base + DAY_MS)),
    });

    const declined = await shopperPost<ErrorJson>(shopper.sessionToken, `/v1/me/orders/${orderId}/payoff`);
    expect(declined.status).toBe(402);
    expect(declined.json.error).toMatchObject({ type: 'card_error', code: 'card_declined' });
    // The first decline stopped it: one more attempt on the failed installment, none on the others.
    order = await myOrder(shopper.sessionToken, orderId);
    expect(await processorCharges(first.id)).toBe(2);
    expect(await processorCharges((order.installments[1] as Installment).id)).toBe(0);
    expect(order.status).toBe('captured');

    const good = await addCard(shopper, GOOD);
    const changed = await putCard(shopper.sessionToken, orderId, { cardToken: good });
    expect(changed.status, changed.text).toBe(200);
    const paid = await shopperPost<Json & { order: MyOrder }>(
      shopper.sessionToken,
      `/v1/me/orders/${orderId}/payoff`,
    );
    expect(paid.status, paid.text).toBe(200);
    expect(paid.json).toMatchObject({ status: 'succeeded', amount: 40_000 });
    expect(paid.json.order).toMatchObject({
      status: 'paid_off',
      outstandingAmount: 0,
      card: { last4: '4242' },
    });
    // The dunning retry finds nothing left to charge.
    await collectOn(1);
    expect(await processorCharges(first.id)).toBe(3);
    expect((await events(orderId)).map((e) => e.type).at(-1)).toBe('order.paid_off');
  });
  it('racing a collection run on a due day, every installment is charged exactly once', async () => {
    nextDay();
    const merchant = await newMerchant();
    const shopper = await newShopper(GOOD);
    const orderId = await captured(merchant, shopper);
    clock.set(new Date(base + 14 * DAY_MS));
    const token = await session(shopper);
    const [payoff, run] = await Promise.all([
      shopperPost(token, `/v1/me/orders/${orderId}/payoff`),
      app.call('POST', '/v1/admin/collections', { auth: app.operator, body: { asOf: isoDay(clock.now()) } }),
    ]);
    expect(run.status, run.text).toBe(200);
    // Either the payoff won every installment, or it met the run's claim (a pending one, or a retry).
    expect([200, 409], payoff.text).toContain(payoff.status);
    let order = await myOrder(token, orderId);
    if (order.status !== 'paid_off') {
      const again = await shopperPost(token, `/v1/me/orders/${orderId}/payoff`);
      expect(again.status, again.text).toBe(200);
      order = await myOrder(token, orderId);
    }
    expect(order).toMatchObject({ status: 'paid_off', outstandingAmount: 0, paidAmount: 40_000 });
    for (const installment of order.installments) expect(await processorCharges(installment.id)).toBe(1);
  });
});

describe('PUT /v1/me/orders/{id}/card and deleting a card that pays an order', PLAY, () => {
  it('a soft-declined card into arrears; the card cannot be deleted; a card change recovers the order', async () => {
    nextDay();
    const merchant = await newMerchant();
    const shopper = await newShopper(SOFT_DECLINE);
    const orderId = await captured(merchant, shopper);
    for (const days of [1, 3, 7]) await collectOn(days);
    let token = await session(shopper);
    let order = await myOrder(token, orderId);
    expect(order.status).toBe('in_arrears');
    const first = order.installments[0] as Installment;
    expect(first).toMatchObject({ status: 'failed', attempts: 4 });
    expect(order.nextPayment).toMatchObject({ installmentId: first.id });
    expect(order.nextPayment?.chargeOn).toBeUndefined();

    const refused = await app.call<ErrorJson>('DELETE', `/v1/me/cards/${shopper.cardToken}`, { auth: token });
    expect(refused.status).toBe(422);
    expect(refused.json.error.code).toBe('card_funds_open_orders');

    const good = await addCard(shopper, GOOD, token);
    const changed = await putCard(token, orderId, { cardToken: good });
    expect(changed.status, changed.text).toBe(200);
    // Collectable again from today: out of arrears, per the state machine.
    expect(changed.json).toMatchObject({ status: 'captured', card: { last4: '4242' } });
    expect(changed.json.nextPayment).toMatchObject({
      installmentId: first.id,
      chargeOn: isoDay(clock.now()),
    });
    // The old card pays nothing now and may go; the new one may not.
    expect((await app.call('DELETE', `/v1/me/cards/${shopper.cardToken}`, { auth: token })).status).toBe(200);
    expect((await app.call('DELETE', `/v1/me/cards/${good}`, { auth: token })).status).toBe(422);

    await collectOn(7);
    token = await session(shopper);
    order = await myOrder(token, orderId);
    expect(order.installments[0]).toMatchObject({ status: 'paid' });
    expect(order).toMatchObject({ status: 'captured', outstandingAmount: 30_000, paidAmount: 10_000 });
    for (const days of [14, 28, 42]) await collectOn(days);
    order = await myOrder(await session(shopper), orderId);
    expect(order).toMatchObject({ status: 'paid_off', outstandingAmount: 0 });
    // Once the order is paid off, its card may be deleted.
    expect((await app.call('DELETE', `/v1/me/cards/${good}`, { auth: await session(shopper) })).status).toBe(
      200,
    );
  });

  it('refuses the same card after a hard decline, and a closed order', async () => {
    nextDay();
    const merchant = await newMerchant();
    const shopper = await newShopper(STOLEN);
    const orderId = await captured(merchant, shopper);
    expect((await myOrder(shopper.sessionToken, orderId)).status).toBe('in_arrears');
    const before = await partitionItems(orderId);
    const same = await putCard(shopper.sessionToken, orderId, { cardToken: shopper.cardToken });
    expect(same.status).toBe(422);
    expect(same.json.error.code).toBe('card_declined_hard');
    const payoff = await shopperPost<ErrorJson>(shopper.sessionToken, `/v1/me/orders/${orderId}/payoff`);
    expect(payoff.status).toBe(422);
    expect(payoff.json.error.code).toBe('card_declined_hard');
    expect(await partitionItems(orderId)).toEqual(before);

    const good = await addCard(shopper, GOOD);
    expect((await putCard(shopper.sessionToken, orderId, { cardToken: good })).status).toBe(200);
    const paid = await shopperPost<Json & { order: MyOrder }>(
      shopper.sessionToken,
      `/v1/me/orders/${orderId}/payoff`,
    );
    expect(paid.status, paid.text).toBe(200);
    expect(paid.json.order.status).toBe('paid_off');
    const closed = await putCard(shopper.sessionToken, orderId, { cardToken: good });
    expect(closed.status).toBe(422);
    expect(closed.json.error.code).toBe('order_closed');
  });
});

describe('POST /v1/me/orders/{id}/extend-due-date', PLAY, () => {
  it('moves the next installment (and its collection day) 14 days later, once per order', async () => {
    nextDay();
    const merchant = await newMerchant();
    const shopper = await newShopper(GOOD);
    const orderId = await captured(merchant, shopper);
    const before = await myOrder(shopper.sessionToken, orderId);
    const second = before.installments[1] as Installment;
    const key = idempotencyKey();
    const extended = await shopperPost<MyOrder>(
      shopper.sessionToken,
      `/v1/me/orders/${orderId}/extend-due-date`,
      key,
    );
    expect(extended.status, extended.text).toBe(200);
    const moved = isoDay(new Date(base + 28 * DAY_MS));
    expect(extended.json.dueDateExtension).toMatchObject({
      installmentId: second.id,
      previousDueDate: second.dueDate,
      dueDate: moved,
    });
    expect(extended.json.installments[1]).toMatchObject({ id: second.id, dueDate: moved, status: 'due' });
    expect(extended.json.nextPayment).toMatchObject({ installmentId: second.id, chargeOn: moved });
    const replay = await shopperPost(shopper.sessionToken, `/v1/me/orders/${orderId}/extend-due-date`, key);
    expect(replay.text).toBe(extended.text);
    const twice = await shopperPost<ErrorJson>(
      shopper.sessionToken,
      `/v1/me/orders/${orderId}/extend-due-date`,
    );
    expect(twice.status).toBe(422);
    expect(twice.json.error.code).toBe('due_date_already_extended');

    // Not collected on its old day; collected on the new one, with the third.
    await collectOn(14);
    expect(await processorCharges(second.id)).toBe(0);
    await collectOn(28);
    const after = await myOrder(await session(shopper), orderId);
    expect(after.installments.map((i) => i.status)).toEqual(['paid', 'paid', 'paid', 'due']);
  });

  it('moves the whole next payment: two captures made on one day each have an installment on it', async () => {
    nextDay();
    const merchant = await newMerchant();
    const shopper = await newShopper(GOOD);
    const order = await authorizedOrder(merchant, shopper, 40_000, { plan: 'pay_in_4' });
    for (const amount of [20_000, 20_000]) {
      const capture = await merchantPost(merchant.apiKey, `/v1/orders/${order.id}/captures`, { amount });
      expect(capture.status, capture.text).toBe(201);
    }
    const before = await myOrder(shopper.sessionToken, order.id);
    const nextDue = isoDay(new Date(base + 14 * DAY_MS));
    const payment = before.installments.filter((i) => i.dueDate === nextDue).map((i) => i.id);
    expect(payment).toHaveLength(2);
    const extended = await shopperPost<MyOrder>(
      shopper.sessionToken,
      `/v1/me/orders/${order.id}/extend-due-date`,
    );
    expect(extended.status, extended.text).toBe(200);
    const moved = isoDay(new Date(base + 28 * DAY_MS));
    expect(extended.json.dueDateExtension).toMatchObject({ installmentIds: payment, dueDate: moved });
    const after = await myOrder(shopper.sessionToken, order.id);
    for (const id of payment) expect(after.installments.find((i) => i.id === id)?.dueDate).toBe(moved);
    // Neither is collected on the old day.
    await collectOn(14);
    for (const id of payment) expect(await processorCharges(id)).toBe(0);
  });

  it('refuses an order in arrears (its next installment is being collected)', async () => {
    nextDay();
    const merchant = await newMerchant();
    const shopper = await newShopper(STOLEN);
    const orderId = await captured(merchant, shopper);
    const res = await shopperPost<ErrorJson>(
      shopper.sessionToken,
      `/v1/me/orders/${orderId}/extend-due-date`,
    );
    expect(res.status).toBe(422);
    expect(res.json.error.code).toBe('due_date_not_extendable');
  });
});
