import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuthorizePorts, authorize } from '../../functions/checkout/authorize.ts';
import { fixedClock, setClock } from '../../functions/lib/clock.ts';
import { type TransactItem, writeTransaction } from '../../functions/lib/transactions.ts';
import { assessRisk, riskRefusal } from '../../functions/monitoring/risk.ts';
import { createOrder } from '../../functions/orders/create.ts';
import { getCard } from '../../functions/vault/access.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { checkoutFixtures, idempotencyKey, type Json } from '../support/checkout.ts';
import { stepUp } from '../support/customers.ts';

const clock = fixedClock('2026-05-04T08:00:00Z');
let app: TestApp;
beforeAll(async () => {
  setClock(clock);
  app = await startTestApp();
});
afterAll(async () => {
  await app?.close();
  setClock(undefined);
});

const key = idempotencyKey;
const { newMerchant, newShopper, merchantPost, openSession, approve } = checkoutFixtures(() => app);

/** Business items only: a refused merchant POST may still store its idempotent error response. */
async function businessItems() {
  const tables = await app.scanAll();
  return {
    main: (tables.main ?? []).filter((item) => item.type !== 'idempotency'),
    vault: tables.vault ?? [],
  };
}

let merchant: { id: string; apiKey: string };
let shopper: Awaited<ReturnType<typeof newShopper>>;
beforeAll(async () => {
  merchant = await newMerchant();
  shopper = await newShopper();
});

describe('POST /v1/checkout-sessions', () => {
  it('offers the plans whose limits admit the amount, for 48 hours', async () => {
    const res = await merchantPost<Json>(merchant.apiKey, '/v1/checkout-sessions', {
      amount: 1_500,
      currency: 'USD',
      merchantReference: 'cart-1',
    });
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({
      object: 'checkout_session',
      status: 'open',
      amount: 1_500,
      currency: 'USD',
      merchantReference: 'cart-1',
      plans: ['pay_in_30'],
      expiresAt: '2026-05-06T08:00:00.000Z',
      livemode: false,
    });
    const restricted = await openSession(merchant.apiKey, 50_000, { plans: ['monthly'] });
    expect(restricted.plans).toEqual(['monthly']);
    const jpy = await merchantPost<Json>(merchant.apiKey, '/v1/checkout-sessions', {
      amount: 30_000,
      currency: 'JPY',
      merchantReference: 'jp',
    });
    expect(jpy.status).toBe(201);
    expect(jpy.json.plans).toEqual(['pay_in_4', 'pay_in_30', 'monthly']);
    // The client token is a secret: only its hash is stored.
    const stored = (await app.scanAll()).main?.find((i) => i.id === restricted.id);
    expect(JSON.stringify(stored)).not.toContain(restricted.clientToken);
  });

  it('replays byte-for-byte under the same key, and refuses the key with another body', async () => {
    const idem = key();
    const body = { amount: 5_000, currency: 'USD', merchantReference: 'r' };
    const first = await merchantPost(merchant.apiKey, '/v1/checkout-sessions', body, idem);
    const again = await merchantPost(merchant.apiKey, '/v1/checkout-sessions', body, idem);
    expect(again.text).toBe(first.text);
    const reused = await merchantPost(
      merchant.apiKey,
      '/v1/checkout-sessions',
      { ...body, amount: 5_001 },
      idem,
    );
    expect(reused.status).toBe(422);
    expect(reused.json).toMatchObject({ error: { code: 'idempotency_key_reused' } });
  });

  const ok = { amount: 5_000, currency: 'USD', merchantReference: 'r' };
  it.each([
    ['a float', { ...ok, amount: 50.5 }, 400, 'parameter_invalid', 'amount'],
    ['a negative amount', { ...ok, amount: -100 }, 400, 'parameter_invalid', 'amount'],
    ['a zero amount', { ...ok, amount: 0 }, 400, 'parameter_invalid', 'amount'],
    ['an amount as a string', { ...ok, amount: '5000' }, 400, 'parameter_invalid', 'amount'],
    ['an unsafe integer', { ...ok, amount: 2 ** 60 }, 400, 'parameter_invalid', 'amount'],
    ['a huge amount', { ...ok, amount: 100_000_000 }, 422, 'amount_out_of_range', 'amount'],
    ['a tiny amount', { ...ok, amount: 500 }, 422, 'amount_out_of_range', 'amount'],
    ['a lower-case currency', { ...ok, currency: 'usd' }, 400, 'parameter_invalid', 'currency'],
    ['an unknown currency', { ...ok, currency: 'XXX' }, 400, 'parameter_invalid', 'currency'],
    ['an unknown plan', { ...ok, plans: ['gold'] }, 400, 'parameter_invalid', 'plans.0'],
    ['a plan not offered', { ...ok, plans: ['subscription'] }, 422, 'plan_not_offered', 'plans'],
    ['repeated plans', { ...ok, plans: ['pay_in_4', 'pay_in_4'] }, 400, 'parameter_invalid', 'plans'],
    ['no plans', { ...ok, plans: [] }, 400, 'parameter_invalid', 'plans'],
    [
      'plans that do not admit the amount',
      { ...ok, amount: 3_000, plans: ['pay_in_4'] },
      422,
      'amount_out_of_range',
      'amount',
    ],
    [
      'a missing merchantReference',
      { amount: 5_000, currency: 'USD' },
      400,
      'parameter_missing',
      'merchantReference',
    ],
    ['an unknown field', { ...ok, customerId: 'cus_1' }, 400, 'parameter_unknown', 'customerId'],
  ])('%s', async (_name, body, status, code, param) => {
    const before = await businessItems();
    const res = await merchantPost(merchant.apiKey, '/v1/checkout-sessions', body);
    expect(res.status).toBe(status);
    expect(res.json).toMatchObject({ error: { code, param, requestId: expect.stringMatching(/^req_/) } });
    expect(await businessItems()).toEqual(before);
  });

  it('requires the Idempotency-Key and a merchant key', async () => {
    const noKey = await app.call('POST', '/v1/checkout-sessions', { auth: merchant.apiKey, body: ok });
    expect(noKey.json).toMatchObject({ error: { code: 'idempotency_key_missing' } });
    const shopperAuth = await app.call('POST', '/v1/checkout-sessions', {
      auth: shopper.sessionToken,
      headers: { 'Idempotency-Key': key() },
      body: ok,
    });
    expect(shopperAuth.status).toBe(401);
  });
});

describe('POST /v1/checkout-sessions/{id}/authorize', () => {
  it('approves with a plan and a saved card: a single-use token valid 60 minutes, and the preview', async () => {
    const session = await openSession(merchant.apiKey, 40_000);
    const res = await approve(shopper, session.id, { plan: 'monthly', termMonths: 12 });
    expect(res.status, res.text).toBe(200);
    expect(res.json).toMatchObject({
      object: 'checkout_authorization',
      plan: 'monthly',
      termMonths: 12,
      amount: 40_000,
      expiresAt: '2026-05-04T09:00:00.000Z',
      schedulePreview: { disclosure: { amountFinanced: 40_000, apr: 14.99 } },
    });
    const preview = (
      res.json as unknown as {
        schedulePreview: { installments: Array<{ amount: number; principal: number }> };
      }
    ).schedulePreview.installments;
    expect(preview).toHaveLength(12);
    expect(preview.reduce((sum, i) => sum + i.principal, 0)).toBe(40_000);
    // Only the token's hash is stored, and the approval is audited.
    const tables = await app.scanAll();
    expect(JSON.stringify(tables)).not.toContain(res.json.authorizationToken);
    expect(
      tables.main?.some(
        (i) => i.type === 'audit' && i.action === 'checkout.authorized' && i.subject === session.id,
      ),
    ).toBe(true);
  });

  it('above the threshold needs a step-up bound to this amount and merchant (dynamic linking)', async () => {
    const amount = 60_000;
    const session = await openSession(merchant.apiKey, amount);
    const other = await newMerchant('Elsewhere');

    const none = await approve(shopper, session.id);
    expect(none.status).toBe(403);
    expect(none.json).toMatchObject({ error: { code: 'step_up_required' } });

    const wrongAmount = await stepUp(app, shopper.sessionToken, 'authorize_checkout', {
      amount: { amount: amount - 1, currency: 'USD' },
      payee: merchant.id,
    });
    const wrongPayee = await stepUp(app, shopper.sessionToken, 'authorize_checkout', {
      amount: { amount, currency: 'USD' },
      payee: other.id,
    });
    for (const token of [wrongAmount, wrongPayee]) {
      const res = await approve(shopper, session.id, {}, { 'Step-Up-Token': token });
      expect(res.status).toBe(403);
      expect(res.json).toMatchObject({ error: { code: 'step_up_invalid' } });
    }

    const right = await stepUp(app, shopper.sessionToken, 'authorize_checkout', {
      amount: { amount, currency: 'USD' },
      payee: merchant.id,
    });
    const approved = await approve(shopper, session.id, {}, { 'Step-Up-Token': right });
    expect(approved.status, approved.text).toBe(200);
    // The step-up approves exactly one request.
    const replayed = await approve(shopper, session.id, {}, { 'Step-Up-Token': right });
    expect(replayed.status).toBe(403);
    expect(replayed.json).toMatchObject({ error: { code: 'step_up_invalid' } });

    // At or below the threshold, no step-up is needed.
    expect((await approve(shopper, (await openSession(merchant.apiKey, 50_000)).id)).status).toBe(200);
  });

  it('refuses bad input, foreign cards and closed sessions, writing nothing', async () => {
    const session = await openSession(merchant.apiKey, 40_000, { plans: ['pay_in_4', 'monthly'] });
    const stranger = await newShopper();
    const cases: Array<[string, Json, number, string]> = [
      ['an unknown plan', { plan: 'gold' }, 400, 'parameter_invalid'],
      ['a plan the session does not offer', { plan: 'pay_in_30' }, 422, 'plan_not_offered'],
      ['monthly without a term', { plan: 'monthly' }, 400, 'parameter_missing'],
      ['monthly with a term not offered', { plan: 'monthly', termMonths: 48 }, 422, 'term_not_offered'],
      ['a term on pay_in_4', { plan: 'pay_in_4', termMonths: 6 }, 400, 'parameter_invalid'],
      ['a float term', { plan: 'monthly', termMonths: 6.5 }, 400, 'parameter_invalid'],
      ['a malformed card token', { cardToken: '4242424242424242' }, 400, 'parameter_invalid'],
      ["another shopper's card", { cardToken: stranger.cardToken }, 404, 'resource_missing'],
      ['an unknown field', { amount: 1 }, 400, 'parameter_unknown'],
    ];
    for (const [name, body, status, code] of cases) {
      const before = await businessItems();
      const res = await approve(shopper, session.id, body);
      expect(res.status, `${name}: ${res.text}`).toBe(status);
      expect(res.json, name).toMatchObject({ error: { code } });
      expect(await businessItems(), name).toEqual(before);
    }
    const before = await businessItems();
    const unknown = await approve(shopper, 'cs_01ARZ3NDEKTSV4RRFFQ69G5FAV');
    expect(unknown.status).toBe(404);
    const malformed = await approve(shopper, 'ord_01ARZ3NDEKTSV4RRFFQ69G5FAV');
    expect(malformed.status).toBe(400);
    const anonymous = await app.call('POST', `/v1/checkout-sessions/${session.id}/authorize`, {
      body: { plan: 'pay_in_4', cardToken: shopper.cardToken },
    });
    expect(anonymous.status).toBe(401);
    const asMerchant = await app.call('POST', `/v1/checkout-sessions/${session.id}/authorize`, {
      auth: merchant.apiKey,
      body: { plan: 'pay_in_4', cardToken: shopper.cardToken },
    });
    expect(asMerchant.status).toBe(401);
    expect(await businessItems()).toEqual(before);

    // 48 hours later the session is closed.
    clock.advance(48 * 3_600_000);
    const fresh = await newShopper();
    const expired = await approve(fresh, session.id);
    expect(expired.status).toBe(422);
    expect(expired.json).toMatchObject({ error: { code: 'checkout_session_expired' } });
  });
});

describe('the session client secret (issue 9)', () => {
  it("approves only for the holder of the session's clientToken, writing nothing otherwise", async () => {
    // Fresh: the shopper of the file signed in before the clock moved on above.
    const shopper = await newShopper();
    const session = await openSession(merchant.apiKey, 40_000);
    const other = await openSession(merchant.apiKey, 40_000);
    const before = await businessItems();
    const foreign = await approve(shopper, session.id, { clientToken: other.clientToken });
    expect(foreign.status, foreign.text).toBe(403);
    expect(foreign.json).toMatchObject({
      error: { type: 'permission_error', code: 'client_token_invalid', param: 'clientToken' },
    });
    const madeUp = await approve(shopper, session.id, {
      clientToken: `${session.id}_secret_${'B'.repeat(32)}`,
    });
    expect(madeUp.status).toBe(403);
    const missing = await app.call('POST', `/v1/checkout-sessions/${session.id}/authorize`, {
      auth: shopper.sessionToken,
      body: { plan: 'pay_in_4', cardToken: shopper.cardToken },
    });
    expect(missing.status).toBe(400);
    expect(missing.json).toMatchObject({ error: { code: 'parameter_missing', param: 'clientToken' } });
    expect(await businessItems()).toEqual(before);

    const right = await approve(shopper, session.id, { clientToken: session.clientToken });
    expect(right.status, right.text).toBe(200);
  });

  it('a session is approved by one shopper: a second shopper is refused and cannot get an order', async () => {
    const session = await openSession(merchant.apiKey, 40_000);
    const first = await newShopper();
    const second = await newShopper();
    const approved = await approve(first, session.id);
    expect(approved.status, approved.text).toBe(200);

    const before = await businessItems();
    const stolen = await approve(second, session.id);
    expect(stolen.status).toBe(422);
    expect(stolen.json).toMatchObject({ error: { code: 'checkout_session_approved' } });
    expect(await businessItems()).toEqual(before);

    // The first shopper's approval is the one the merchant redeems.
    const order = await merchantPost<Json>(merchant.apiKey, '/v1/orders', {
      authorizationToken: approved.json.authorizationToken,
    });
    expect(order.status, order.text).toBe(201);
    expect(order.json).toMatchObject({ checkoutSessionId: session.id });
    const orders = (await app.scanAll()).main?.filter(
      (i) => i.type === 'order' && i.checkoutSessionId === session.id,
    );
    expect(orders?.map((o) => o.customerId)).toEqual([first.customerId]);
  });
});

describe('a suspended merchant (issue 9)', () => {
  const suspend = (id: string) =>
    app.call('POST', `/v1/admin/merchants/${id}/suspend`, { auth: app.operator });
  const activate = (id: string) =>
    app.call('POST', `/v1/admin/merchants/${id}/activate`, { auth: app.operator });

  it('takes no approvals and creates no orders, for sessions opened before the suspension', async () => {
    const shop = await newMerchant('Soon suspended');
    const buyer = await newShopper();
    const session = await openSession(shop.apiKey, 40_000);
    const earlier = await approve(buyer, (await openSession(shop.apiKey, 40_000)).id);
    expect(earlier.status, earlier.text).toBe(200);
    expect((await suspend(shop.id)).status).toBe(200);

    const before = await businessItems();
    const refused = await approve(buyer, session.id);
    expect(refused.status, refused.text).toBe(422);
    expect(refused.json).toMatchObject({ error: { code: 'merchant_unavailable' } });
    const order = await merchantPost(shop.apiKey, '/v1/orders', {
      authorizationToken: earlier.json.authorizationToken,
    });
    expect(order.status).toBe(403);
    expect(order.json).toMatchObject({ error: { code: 'merchant_suspended' } });
    expect(await businessItems()).toEqual(before);

    // Re-activated, the same session and approval work again.
    expect((await activate(shop.id)).status).toBe(200);
    expect((await approve(buyer, session.id)).status).toBe(200);
    const created = await merchantPost(shop.apiKey, '/v1/orders', {
      authorizationToken: earlier.json.authorizationToken,
    });
    expect(created.status, created.text).toBe(201);
  });

  it('a suspension landing mid-request stops the approval and the order (the writes are conditioned on it)', async () => {
    const shop = await newMerchant('Suspended meanwhile');
    const buyer = await newShopper();
    const session = await openSession(shop.apiKey, 40_000);
    const approval = await approve(buyer, session.id);
    expect(approval.status).toBe(200);
    const other = await openSession(shop.apiKey, 40_000);
    const before = await businessItems();

    // The approval: the merchant is suspended after the request read it, before the write.
    const ports: AuthorizePorts = {
      getCard: async (customerId, token) => {
        const card = await getCard(customerId, token);
        expect((await suspend(shop.id)).status).toBe(200);
        return card;
      },
      requireStepUp: () => Promise.reject(new Error('no step-up below the threshold')),
      assessRisk: (event) => assessRisk(event, clock),
      riskRefusal,
    };
    const body = { clientToken: other.clientToken, plan: 'pay_in_4' as const, cardToken: buyer.cardToken };
    const write = (items: TransactItem[]) => writeTransaction(items);
    await expect(
      authorize({ customerId: buyer.customerId }, other.id, body, {}, ports, write, clock),
    ).rejects.toMatchObject({ status: 422, code: 'merchant_unavailable' });

    // The order: authenticated before the suspension, written after it.
    await expect(
      createOrder(
        { merchantId: shop.id, livemode: false },
        { authorizationToken: approval.json.authorizationToken },
        write,
        clock,
      ),
    ).rejects.toMatchObject({ status: 403, code: 'merchant_suspended' });
    // Nothing but the suspension itself (and its audit record) was written.
    const unlessMerchant = (items: Record<string, unknown>[]) =>
      items.filter((item) => item.type !== 'merchant' && item.type !== 'apiKey' && item.type !== 'audit');
    const after = await businessItems();
    expect(unlessMerchant(after.main)).toEqual(unlessMerchant(before.main));
    expect(after.vault).toEqual(before.vault);
  });
});
