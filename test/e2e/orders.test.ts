import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { fixedClock, setClock } from '../../functions/lib/clock.ts';
import { keyService } from '../../functions/lib/key-service.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { checkoutFixtures, idempotencyKey, type Json } from '../support/checkout.ts';
import { dynamoCommands } from '../support/dynamo-commands.ts';

// The gateway runs in-process: the handlers see this clock.
const clock = fixedClock('2026-03-02T10:00:00Z');
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
const { newMerchant, newShopper, merchantPost, openSession, approve, authorizedOrder, events } =
  checkoutFixtures(() => app);

describe('the merchant flow over HTTP', () => {
  it('session -> authorize -> order -> partial capture -> second capture -> refund -> cancel refused', async () => {
    const merchant = await newMerchant();
    const shopper = await newShopper();

    const session = await openSession(merchant.apiKey, 40_000);
    expect(session.id).toMatch(/^cs_[0-9A-Z]{26}$/);
    expect(session.clientToken).toMatch(new RegExp(`^${session.id}_secret_`));
    expect(session.expiresAt).toBe('2026-03-04T10:00:00.000Z');
    expect(session.plans).toEqual(['pay_in_4', 'pay_in_30', 'monthly']);

    const approval = await approve(shopper, session.id);
    expect(approval.status, approval.text).toBe(200);
    expect(approval.json.authorizationToken).toMatch(/^authz_/);
    expect(approval.json.expiresAt).toBe('2026-03-02T11:00:00.000Z');

    const created = await merchantPost<Json & { id: string; status: string; schedulePreview: Json }>(
      merchant.apiKey,
      '/v1/orders',
      { authorizationToken: approval.json.authorizationToken },
    );
    expect(created.status, created.text).toBe(201);
    const orderId = created.json.id;
    expect(orderId).toMatch(/^ord_[0-9A-Z]{26}$/);
    expect(created.json).toMatchObject({
      status: 'authorized',
      amount: 40_000,
      currency: 'USD',
      card: { brand: 'visa', last4: '4242' },
      plan: { id: 'pay_in_4' },
      capturedAmount: 0,
      remainingAuthorizedAmount: 40_000,
      authorizationExpiresAt: '2026-03-30T10:00:00.000Z',
      authorizationMaxExpiresAt: '2026-08-29T10:00:00.000Z',
      version: 1,
      schedulePreview: {
        installments: [
          { seq: 1, dueDate: '2026-03-02', amount: 10_000 },
          { seq: 2, dueDate: '2026-03-16', amount: 10_000 },
          { seq: 3, dueDate: '2026-03-30', amount: 10_000 },
          { seq: 4, dueDate: '2026-04-13', amount: 10_000 },
        ],
      },
    });
    expect(created.text).not.toContain(shopper.cardToken);

    // First (partial) capture, two days later: the schedule becomes real from the capture date.
    clock.advance(2 * 86_400_000);
    const first = await merchantPost<Json & { id: string; installments: Json[] }>(
      merchant.apiKey,
      `/v1/orders/${orderId}/captures`,
      { amount: 30_001 },
    );
    expect(first.status, first.text).toBe(201);
    expect(first.json.id).toMatch(/^cap_/);
    expect(first.json.installments).toMatchObject([
      { seq: 1, dueDate: '2026-03-04', amount: 7_501 },
      { seq: 2, dueDate: '2026-03-18', amount: 7_500 },
      { seq: 3, dueDate: '2026-04-01', amount: 7_500 },
      { seq: 4, dueDate: '2026-04-15', amount: 7_500 },
    ]);

    let order = await app.call<Json & { installments: Json[] }>('GET', `/v1/orders/${orderId}`, {
      auth: merchant.apiKey,
    });
    expect(order.status).toBe(200);
    expect(order.json).toMatchObject({
      status: 'captured',
      capturedAmount: 30_001,
      outstandingAmount: 22_500,
      remainingAuthorizedAmount: 9_999,
    });
    expect(order.json.installments.map((i) => [i.seq, i.status, i.amount])).toEqual([
      [1, 'paid', 7_501],
      [2, 'due', 7_500],
      [3, 'due', 7_500],
      [4, 'due', 7_500],
    ]);

    // Installments are indexed for collection on their due day (the first, paid, no longer is).
    const tables = await app.scanAll();
    const stored = (tables.main ?? []).filter((i) => i.type === 'installment' && i.orderId === orderId);
    expect(stored.filter((i) => i.duePk).map((i) => String(i.duePk).slice(0, 15))).toEqual([
      'DUE#2026-03-18#',
      'DUE#2026-04-01#',
      'DUE#2026-04-15#',
    ]);

    // A second capture a week later adds its own series dated from its capture.
    clock.advance(7 * 86_400_000);
    const second = await merchantPost<Json & { id: string; installments: Json[] }>(
      merchant.apiKey,
      `/v1/orders/${orderId}/captures`,
      { amount: 9_999 },
    );
    expect(second.status, second.text).toBe(201);
    expect(second.json.installments).toMatchObject([
      { seq: 1, dueDate: '2026-03-11', amount: 2_502 },
      { seq: 2, dueDate: '2026-03-25', amount: 2_499 },
      { seq: 3, dueDate: '2026-04-08', amount: 2_499 },
      { seq: 4, dueDate: '2026-04-22', amount: 2_499 },
    ]);
    const more = await merchantPost(merchant.apiKey, `/v1/orders/${orderId}/captures`, { amount: 1 });
    expect(more.status).toBe(422);
    expect(more.json).toMatchObject({ error: { code: 'capture_exceeds_authorization', param: 'amount' } });

    // Refund tied to the first capture: reduces its last installments first.
    const refundA = await merchantPost<Json & { lines: Json[] }>(
      merchant.apiKey,
      `/v1/orders/${orderId}/refunds`,
      {
        amount: 10_000,
        captureId: first.json.id,
      },
    );
    expect(refundA.status, refundA.text).toBe(201);
    expect(refundA.json).toMatchObject({ amount: 10_000, reducedAmount: 10_000, returnedAmount: 0 });
    expect(refundA.json.lines.map((l) => [l.reducedBy, l.refundedBy])).toEqual([
      [0, 0],
      [0, 0],
      [2_500, 0],
      [7_500, 0],
    ]);

    // Without a captureId, the latest capture first: all it still owes, then its collected money.
    const refundB = await merchantPost<Json & { lines: Json[] }>(
      merchant.apiKey,
      `/v1/orders/${orderId}/refunds`,
      {
        amount: 9_000,
      },
    );
    expect(refundB.status, refundB.text).toBe(201);
    expect(refundB.json).toMatchObject({ reducedAmount: 7_497, returnedAmount: 1_503 });
    expect(refundB.json.lines.map((l) => [l.captureId, l.reducedBy, l.refundedBy])).toEqual([
      [second.json.id, 0, 1_503],
      [second.json.id, 2_499, 0],
      [second.json.id, 2_499, 0],
      [second.json.id, 2_499, 0],
    ]);

    order = await app.call('GET', `/v1/orders/${orderId}`, { auth: merchant.apiKey });
    expect(order.json).toMatchObject({
      status: 'captured',
      refundedAmount: 19_000,
      outstandingAmount: 12_500,
    });

    const cancel = await merchantPost(merchant.apiKey, `/v1/orders/${orderId}/cancel`);
    expect(cancel.status).toBe(422);
    expect(cancel.json).toMatchObject({ error: { code: 'order_not_cancellable' } });

    // One event per change, sequence = order version, strictly increasing.
    expect(await events(orderId)).toEqual([
      { type: 'order.authorized', sequence: 1 },
      { type: 'order.captured', sequence: 2 },
      { type: 'installment.paid', sequence: 3 },
      { type: 'order.captured', sequence: 4 },
      { type: 'installment.paid', sequence: 5 },
      { type: 'order.refunded', sequence: 6 },
      { type: 'order.refunded', sequence: 7 },
    ]);
  });
});

/** The names of the DynamoDB commands the in-process handlers send while `fn` runs. */
const dynamoCalls = async (fn: () => Promise<unknown>) => (await dynamoCommands(fn)).map((c) => c.name);

/** Business items only: a refused request may still store its idempotent error response. */
async function businessItems() {
  const tables = await app.scanAll();
  return {
    main: (tables.main ?? []).filter((item) => item.type !== 'idempotency'),
    vault: tables.vault ?? [],
  };
}

describe('POST /v1/orders', () => {
  it('budget: one TransactWriteItems, two single-item reads, one idempotency claim, no KMS', async () => {
    const merchant = await newMerchant();
    const shopper = await newShopper();
    const session = await openSession(merchant.apiKey);
    const approval = await approve(shopper, session.id);
    const service = keyService() as unknown as Record<string, (...args: unknown[]) => unknown>;
    const kms = ['generateDataKey', 'decryptDataKey', 'unwrapDataKey', 'reWrap', 'encrypt', 'decrypt'].map(
      (m) => vi.spyOn(service, m),
    );
    let status = 0;
    const calls = await dynamoCalls(async () => {
      status = (
        await merchantPost(merchant.apiKey, '/v1/orders', {
          authorizationToken: approval.json.authorizationToken,
        })
      ).status;
    });
    expect(status).toBe(201);
    // API key (auth) + the approval; the Idempotency-Key claim; the one transaction.
    expect(calls.sort()).toEqual([
      'GetItemCommand',
      'GetItemCommand',
      'PutItemCommand',
      'TransactWriteItemsCommand',
    ]);
    for (const spy of kms) expect(spy).not.toHaveBeenCalled();
    for (const spy of kms) spy.mockRestore();
  });

  it('50 concurrent requests with the same Idempotency-Key create exactly one order', async () => {
    const merchant = await newMerchant();
    const shopper = await newShopper();
    const session = await openSession(merchant.apiKey);
    const approval = await approve(shopper, session.id);
    const idem = key();
    const results = await Promise.all(
      Array.from({ length: 50 }, () =>
        merchantPost<{ id: string }>(
          merchant.apiKey,
          '/v1/orders',
          { authorizationToken: approval.json.authorizationToken },
          idem,
        ),
      ),
    );
    const created = results.filter((r) => r.status === 201);
    expect(created.length).toBeGreaterThanOrEqual(1);
    for (const r of results.filter((x) => x.status !== 201)) {
      expect(r.status).toBe(409);
      expect(r.json).toMatchObject({ error: { code: 'idempotency_request_in_progress' } });
    }
    // Every 201 is the same response (replays are byte-for-byte).
    expect(new Set(created.map((r) => r.text)).size).toBe(1);
    const orders = (await app.scanAll()).main?.filter(
      (i) => i.type === 'order' && i.checkoutSessionId === session.id,
    );
    expect(orders).toHaveLength(1);
    expect(orders?.[0]?.id).toBe(created[0]?.json.id);
    const replay = await merchantPost(
      merchant.apiKey,
      '/v1/orders',
      { authorizationToken: approval.json.authorizationToken },
      idem,
    );
    expect(replay.text).toBe(created[0]?.text);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
  });

  it('20 concurrent requests redeeming one token under different keys: one order, the rest 422 used', async () => {
    const merchant = await newMerchant();
    const shopper = await newShopper();
    const session = await openSession(merchant.apiKey);
    const approval = await approve(shopper, session.id);
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        merchantPost(merchant.apiKey, '/v1/orders', { authorizationToken: approval.json.authorizationToken }),
      ),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    for (const r of results.filter((x) => x.status !== 201)) {
      // A DynamoDB transaction conflict is a retryable 409; everything else saw the token used.
      if (r.status === 409) expect(r.json).toMatchObject({ error: { code: 'concurrent_update' } });
      else
        expect(r.json).toMatchObject({
          error: { code: 'authorization_token_used', param: 'authorizationToken' },
        });
    }
    const orders = (await app.scanAll()).main?.filter(
      (i) => i.type === 'order' && i.checkoutSessionId === session.id,
    );
    expect(orders).toHaveLength(1);
  });

  it('a session yields one order: a second approval of it cannot be redeemed once the first was', async () => {
    const merchant = await newMerchant();
    const shopper = await newShopper();
    const session = await openSession(merchant.apiKey);
    const one = await approve(shopper, session.id);
    const two = await approve(shopper, session.id);
    expect(
      (await merchantPost(merchant.apiKey, '/v1/orders', { authorizationToken: one.json.authorizationToken }))
        .status,
    ).toBe(201);
    const again = await merchantPost(merchant.apiKey, '/v1/orders', {
      authorizationToken: two.json.authorizationToken,
    });
    expect(again.status).toBe(422);
    expect(again.json).toMatchObject({ error: { code: 'checkout_session_completed' } });
    const late = await approve(shopper, session.id);
    expect(late.status).toBe(422);
    expect(late.json).toMatchObject({ error: { code: 'checkout_session_completed' } });
  });

  it('refuses a used, expired, foreign or made-up authorizationToken, writing nothing', async () => {
    const merchant = await newMerchant();
    const other = await newMerchant('Other');
    const shopper = await newShopper();
    const used = await approve(shopper, (await openSession(merchant.apiKey)).id);
    expect(
      (
        await merchantPost(merchant.apiKey, '/v1/orders', {
          authorizationToken: used.json.authorizationToken,
        })
      ).status,
    ).toBe(201);
    const foreign = await approve(shopper, (await openSession(other.apiKey)).id);
    const stale = await approve(shopper, (await openSession(merchant.apiKey)).id);

    const cases: Array<[string, unknown, number, string]> = [
      ['used', { authorizationToken: used.json.authorizationToken }, 422, 'authorization_token_used'],
      [
        'another merchant’s',
        { authorizationToken: foreign.json.authorizationToken },
        422,
        'authorization_token_invalid',
      ],
      ['made up', { authorizationToken: `authz_${'A'.repeat(43)}` }, 422, 'authorization_token_invalid'],
      ['malformed', { authorizationToken: 'hello' }, 422, 'authorization_token_invalid'],
      ['missing', {}, 400, 'parameter_missing'],
      ['a number', { authorizationToken: 12 }, 400, 'parameter_invalid'],
      ['with an unknown field', { authorizationToken: 'x', amount: 1 }, 400, 'parameter_unknown'],
    ];
    for (const [name, body, status, code] of cases) {
      const before = await businessItems();
      const res = await merchantPost(merchant.apiKey, '/v1/orders', body);
      expect(res.status, name).toBe(status);
      expect(res.json, name).toMatchObject({ error: { code, requestId: expect.stringMatching(/^req_/) } });
      expect(await businessItems(), name).toEqual(before);
    }

    clock.advance(60 * 60_000 + 1);
    const before = await businessItems();
    const expired = await merchantPost(merchant.apiKey, '/v1/orders', {
      authorizationToken: stale.json.authorizationToken,
    });
    expect(expired.status).toBe(422);
    expect(expired.json).toMatchObject({ error: { code: 'authorization_token_expired' } });
    expect(await businessItems()).toEqual(before);
  });

  it('requires the Idempotency-Key; the same key with another body is 422 idempotency_key_reused', async () => {
    const merchant = await newMerchant();
    const missing = await app.call('POST', '/v1/orders', {
      auth: merchant.apiKey,
      body: { authorizationToken: 'x' },
    });
    expect(missing.status).toBe(400);
    expect(missing.json).toMatchObject({ error: { code: 'idempotency_key_missing' } });
    const idem = key();
    await merchantPost(merchant.apiKey, '/v1/orders', { authorizationToken: 'x' }, idem);
    const reused = await merchantPost(merchant.apiKey, '/v1/orders', { authorizationToken: 'y' }, idem);
    expect(reused.status).toBe(422);
    expect(reused.json).toMatchObject({
      error: { type: 'idempotency_error', code: 'idempotency_key_reused' },
    });
  });
});

describe('captures', () => {
  it('concurrent captures never exceed the authorized amount', async () => {
    const merchant = await newMerchant();
    const shopper = await newShopper();
    const order = await authorizedOrder(merchant, shopper, 40_000);
    const attempt = () =>
      merchantPost(merchant.apiKey, `/v1/orders/${order.id}/captures`, { amount: 15_000 });
    const results = await Promise.all(Array.from({ length: 8 }, attempt));
    for (const r of results) expect([201, 409, 422]).toContain(r.status);
    // Retry the losers of the race until the authorization is exhausted (a 409 is retryable).
    let captured = results.filter((r) => r.status === 201).length * 15_000;
    for (let i = 0; i < 8 && captured + 15_000 <= 40_000; i++) {
      const r = await attempt();
      if (r.status === 201) captured += 15_000;
    }
    const final = await app.call<{ capturedAmount: number; captures: unknown[] }>(
      'GET',
      `/v1/orders/${order.id}`,
      {
        auth: merchant.apiKey,
      },
    );
    expect(final.json.capturedAmount).toBe(30_000);
    expect(final.json.captures).toHaveLength(2);
    const over = await attempt();
    expect(over.status).toBe(422);
    expect(over.json).toMatchObject({ error: { code: 'capture_exceeds_authorization' } });
    const stored = (await app.scanAll()).main?.filter((i) => i.type === 'capture' && i.orderId === order.id);
    expect(stored?.reduce((sum, c) => sum + Number(c.amount), 0)).toBe(30_000);
  });

  it('a replayed capture returns the first response and captures nothing more', async () => {
    const merchant = await newMerchant();
    const order = await authorizedOrder(merchant, await newShopper());
    const idem = key();
    const first = await merchantPost(
      merchant.apiKey,
      `/v1/orders/${order.id}/captures`,
      { amount: 10_000 },
      idem,
    );
    const again = await merchantPost(
      merchant.apiKey,
      `/v1/orders/${order.id}/captures`,
      { amount: 10_000 },
      idem,
    );
    expect(first.status).toBe(201);
    expect(again.text).toBe(first.text);
    const got = await app.call<{ capturedAmount: number }>('GET', `/v1/orders/${order.id}`, {
      auth: merchant.apiKey,
    });
    expect(got.json.capturedAmount).toBe(10_000);
  });

  it('a soft decline of the first installment keeps the capture and schedules a retry; a stolen card puts the order in arrears', async () => {
    const merchant = await newMerchant();
    const declined = await authorizedOrder(merchant, await newShopper('4000000000000002'));
    const soft = await merchantPost(merchant.apiKey, `/v1/orders/${declined.id}/captures`, {
      amount: 40_000,
    });
    expect(soft.status).toBe(201);
    const softOrder = await app.call<Json & { installments: Json[] }>('GET', `/v1/orders/${declined.id}`, {
      auth: merchant.apiKey,
    });
    expect(softOrder.json.status).toBe('captured');
    expect(softOrder.json.installments[0]).toMatchObject({
      status: 'failed',
      failureCode: 'card_declined',
      attempts: 1,
    });
    const retry = (await app.scanAll()).main?.find((i) => i.id === softOrder.json.installments[0]?.id);
    expect(String(retry?.duePk)).toMatch(
      new RegExp(`^DUE#${new Date(clock.now().getTime() + 86_400_000).toISOString().slice(0, 10)}#`),
    );

    const stolen = await authorizedOrder(merchant, await newShopper('4000000000009979'));
    await merchantPost(merchant.apiKey, `/v1/orders/${stolen.id}/captures`, { amount: 40_000 });
    const hard = await app.call<Json & { installments: Json[] }>('GET', `/v1/orders/${stolen.id}`, {
      auth: merchant.apiKey,
    });
    expect(hard.json.status).toBe('in_arrears');
    expect(hard.json.installments[0]).toMatchObject({ status: 'failed', failureCode: 'stolen_card' });
    expect((await events(stolen.id)).map((e) => e.type)).toEqual([
      'order.authorized',
      'order.captured',
      'installment.failed',
      // Arrears is its own transition, with its own event (issue 10).
      'order.in_arrears',
    ]);
  });
});

describe('refunds and settlement', () => {
  it('a refund of everything still owed settles the order as paid_off; a full refund closes it', async () => {
    const merchant = await newMerchant();
    const order = await authorizedOrder(merchant, await newShopper());
    await merchantPost(merchant.apiKey, `/v1/orders/${order.id}/captures`, { amount: 40_000 });
    const refund = await merchantPost<Json>(merchant.apiKey, `/v1/orders/${order.id}/refunds`, {
      amount: 30_000,
    });
    expect(refund.status).toBe(201);
    expect(refund.json).toMatchObject({ reducedAmount: 30_000, returnedAmount: 0 });
    let got = await app.call<Json & { installments: Json[] }>('GET', `/v1/orders/${order.id}`, {
      auth: merchant.apiKey,
    });
    expect(got.json).toMatchObject({ status: 'paid_off', outstandingAmount: 0, refundedAmount: 30_000 });
    expect(got.json.installments.map((i) => i.status)).toEqual([
      'paid',
      'cancelled',
      'cancelled',
      'cancelled',
    ]);

    // The rest returns collected money to the card; the order is then refunded (terminal).
    const rest = await merchantPost<Json>(merchant.apiKey, `/v1/orders/${order.id}/refunds`, {
      amount: 10_000,
    });
    expect(rest.status).toBe(201);
    expect(rest.json).toMatchObject({ reducedAmount: 0, returnedAmount: 10_000 });
    got = await app.call('GET', `/v1/orders/${order.id}`, { auth: merchant.apiKey });
    expect(got.json).toMatchObject({ status: 'refunded', refundedAmount: 40_000 });
    expect(got.json.installments[0]).toMatchObject({ status: 'paid', refundedAmount: 10_000 });
    const stored = (await app.scanAll()).main?.find((i) => i.type === 'refund' && i.id === rest.json.id);
    expect(stored?.cardRefunds).toMatchObject([{ amount: 10_000, status: 'succeeded' }]);

    const more = await merchantPost(merchant.apiKey, `/v1/orders/${order.id}/refunds`, { amount: 1 });
    expect(more.status).toBe(422);
    expect(more.json).toMatchObject({ error: { code: 'order_not_refundable' } });
    const capture = await merchantPost(merchant.apiKey, `/v1/orders/${order.id}/captures`, { amount: 1 });
    expect(capture.json).toMatchObject({ error: { code: 'order_not_capturable' } });
    expect((await events(order.id)).map((e) => e.type)).toEqual([
      'order.authorized',
      'order.captured',
      'installment.paid',
      'order.refunded',
      'order.paid_off',
      'order.refunded',
    ]);
  });

  it('refuses refunds beyond what was captured, and a refund before any capture', async () => {
    const merchant = await newMerchant();
    const order = await authorizedOrder(merchant, await newShopper());
    const early = await merchantPost(merchant.apiKey, `/v1/orders/${order.id}/refunds`, { amount: 100 });
    expect(early.json).toMatchObject({ error: { code: 'nothing_to_refund' } });
    await merchantPost(merchant.apiKey, `/v1/orders/${order.id}/captures`, { amount: 10_000 });
    const before = await businessItems();
    const over = await merchantPost(merchant.apiKey, `/v1/orders/${order.id}/refunds`, { amount: 10_001 });
    expect(over.status).toBe(422);
    expect(over.json).toMatchObject({ error: { code: 'refund_exceeds_refundable', param: 'amount' } });
    const unknownCapture = await merchantPost(merchant.apiKey, `/v1/orders/${order.id}/refunds`, {
      amount: 1,
      captureId: 'cap_01ARZ3NDEKTSV4RRFFQ69G5FAV',
    });
    expect(unknownCapture.status).toBe(404);
    expect(unknownCapture.json).toMatchObject({ error: { code: 'resource_missing', param: 'captureId' } });
    expect(await businessItems()).toEqual(before);
  });
});

describe('cancel', () => {
  it('cancels an order with nothing captured, once; a late capture cannot reopen it', async () => {
    const merchant = await newMerchant();
    const order = await authorizedOrder(merchant, await newShopper());
    const cancelled = await merchantPost<Json>(merchant.apiKey, `/v1/orders/${order.id}/cancel`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.json).toMatchObject({ status: 'cancelled', version: 2, remainingAuthorizedAmount: 0 });
    const again = await merchantPost(merchant.apiKey, `/v1/orders/${order.id}/cancel`);
    expect(again.json).toMatchObject({ error: { code: 'order_not_cancellable' } });
    const late = await merchantPost(merchant.apiKey, `/v1/orders/${order.id}/captures`, { amount: 100 });
    expect(late.status).toBe(422);
    expect(late.json).toMatchObject({ error: { code: 'order_not_capturable' } });
    const got = await app.call<Json>('GET', `/v1/orders/${order.id}`, { auth: merchant.apiKey });
    expect(got.json).toMatchObject({ status: 'cancelled', capturedAmount: 0 });
  });

  it('a cancel racing a capture: exactly one wins', async () => {
    const merchant = await newMerchant();
    const order = await authorizedOrder(merchant, await newShopper());
    const [cancel, capture] = await Promise.all([
      merchantPost(merchant.apiKey, `/v1/orders/${order.id}/cancel`),
      merchantPost(merchant.apiKey, `/v1/orders/${order.id}/captures`, { amount: 10_000 }),
    ]);
    const got = await app.call<Json>('GET', `/v1/orders/${order.id}`, { auth: merchant.apiKey });
    if (cancel.status === 200) {
      expect(capture.status).not.toBe(201);
      expect(got.json).toMatchObject({ status: 'cancelled', capturedAmount: 0 });
    } else {
      expect(capture.status).toBe(201);
      expect(got.json).toMatchObject({ status: 'captured', capturedAmount: 10_000 });
    }
  });
});

describe('reading orders', () => {
  it('lists newest first with an opaque cursor bound to the merchant', async () => {
    const merchant = await newMerchant();
    const other = await newMerchant('Other');
    const shopper = await newShopper();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      clock.advance(1000);
      ids.push((await authorizedOrder(merchant, shopper)).id);
    }
    await authorizedOrder(other, shopper);
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const res = await app.call<{ data: Array<{ id: string }>; hasMore: boolean; nextCursor?: string }>(
        'GET',
        `/v1/orders?limit=2${cursor ? `&startingAfter=${encodeURIComponent(cursor)}` : ''}`,
        { auth: merchant.apiKey },
      );
      expect(res.status).toBe(200);
      seen.push(...res.json.data.map((o) => o.id));
      expect(res.json.hasMore).toBe(res.json.nextCursor !== undefined);
      cursor = res.json.nextCursor;
      pages += 1;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());
    expect(pages).toBe(3);

    const page = await app.call<{ nextCursor: string }>('GET', '/v1/orders?limit=1', {
      auth: merchant.apiKey,
    });
    // Another merchant cannot use it, and an edited one is refused.
    const foreign = await app.call('GET', `/v1/orders?startingAfter=${page.json.nextCursor}`, {
      auth: other.apiKey,
    });
    expect(foreign.status).toBe(400);
    expect(foreign.json).toMatchObject({ error: { code: 'invalid_cursor', param: 'startingAfter' } });
    const [v, , mac] = page.json.nextCursor.split('.');
    const forged = `${v}.${Buffer.from(ids[0] ?? '').toString('base64url')}.${mac}`;
    expect(
      (await app.call('GET', `/v1/orders?startingAfter=${forged}`, { auth: merchant.apiKey })).status,
    ).toBe(400);
    const malformedId = await app.call('GET', '/v1/orders/ord_123', { auth: merchant.apiKey });
    expect(malformedId.status).toBe(400);
    expect(malformedId.json).toMatchObject({ error: { code: 'parameter_invalid', param: 'id' } });
    for (const bad of ['limit=0', 'limit=101', 'limit=1.5', 'limit=abc', 'since=1']) {
      const res = await app.call('GET', `/v1/orders?${bad}`, { auth: merchant.apiKey });
      expect(res.status, bad).toBe(400);
    }
  });

  it("another merchant's order is a 404 on every endpoint, and nothing is written", async () => {
    const merchant = await newMerchant();
    const other = await newMerchant('Other');
    const order = await authorizedOrder(merchant, await newShopper());
    const before = await businessItems();
    const attempts = [
      () => app.call('GET', `/v1/orders/${order.id}`, { auth: other.apiKey }),
      () => merchantPost(other.apiKey, `/v1/orders/${order.id}/captures`, { amount: 100 }),
      () => merchantPost(other.apiKey, `/v1/orders/${order.id}/refunds`, { amount: 100 }),
      () => merchantPost(other.apiKey, `/v1/orders/${order.id}/cancel`),
      () => merchantPost(other.apiKey, `/v1/orders/${order.id}/extend-authorization`),
      () => app.call('GET', '/v1/orders/ord_01ARZ3NDEKTSV4RRFFQ69G5FAV', { auth: merchant.apiKey }),
    ];
    for (const attempt of attempts) {
      const res = await attempt();
      expect(res.status).toBe(404);
      expect(res.json).toMatchObject({ error: { code: 'resource_missing', param: 'id' } });
    }
    expect(await businessItems()).toEqual(before);
    const list = await app.call<{ data: unknown[] }>('GET', '/v1/orders', { auth: other.apiKey });
    expect(list.json.data).toEqual([]);
  });
});

describe('bad input on order endpoints gets the error shape and writes nothing', () => {
  it.each([
    ['a float', { amount: 100.5 }, 400, 'parameter_invalid'],
    ['a negative amount', { amount: -5 }, 400, 'parameter_invalid'],
    ['zero', { amount: 0 }, 400, 'parameter_invalid'],
    ['a string amount', { amount: '100' }, 400, 'parameter_invalid'],
    ['a huge amount', { amount: 1e20 }, 400, 'parameter_invalid'],
    ['an amount over the authorization', { amount: 40_001 }, 422, 'capture_exceeds_authorization'],
    [
      'a currency (captures are in the order currency)',
      { amount: 100, currency: 'EUR' },
      400,
      'parameter_unknown',
    ],
    ['a missing amount', {}, 400, 'parameter_missing'],
  ])('capture with %s', async (_name, body, status, code) => {
    const merchant = await newMerchant();
    const order = await authorizedOrder(merchant, await newShopper());
    const before = await businessItems();
    const res = await merchantPost(merchant.apiKey, `/v1/orders/${order.id}/captures`, body);
    expect(res.status).toBe(status);
    expect(res.json).toMatchObject({ error: { code, requestId: expect.stringMatching(/^req_/) } });
    expect(await businessItems()).toEqual(before);
  });

  it('refund, cancel and extend with malformed ids or bodies', async () => {
    const merchant = await newMerchant();
    const order = await authorizedOrder(merchant, await newShopper());
    await merchantPost(merchant.apiKey, `/v1/orders/${order.id}/captures`, { amount: 10_000 });
    const before = await businessItems();
    const cases: Array<[string, string, unknown, number, string]> = [
      ['refund float', `/v1/orders/${order.id}/refunds`, { amount: 1.5 }, 400, 'parameter_invalid'],
      ['refund negative', `/v1/orders/${order.id}/refunds`, { amount: -1 }, 400, 'parameter_invalid'],
      [
        'refund bad captureId',
        `/v1/orders/${order.id}/refunds`,
        { amount: 1, captureId: 'ord_1' },
        400,
        'parameter_invalid',
      ],
      [
        'refund huge',
        `/v1/orders/${order.id}/refunds`,
        { amount: Number.MAX_SAFE_INTEGER + 2 },
        400,
        'parameter_invalid',
      ],
      ['capture on a malformed id', '/v1/orders/cs_123/captures', { amount: 1 }, 400, 'parameter_invalid'],
      ['cancel on a malformed id', '/v1/orders/nope/cancel', undefined, 400, 'parameter_invalid'],
      [
        'extend on a malformed id',
        '/v1/orders/ord_x/extend-authorization',
        undefined,
        400,
        'parameter_invalid',
      ],
    ];
    for (const [name, path, body, status, code] of cases) {
      const res = await merchantPost(merchant.apiKey, path, body);
      expect(res.status, name).toBe(status);
      expect(res.json, name).toMatchObject({ error: { code } });
    }
    const noKey = await app.call('POST', `/v1/orders/${order.id}/cancel`, { auth: merchant.apiKey });
    expect(noKey.json).toMatchObject({ error: { code: 'idempotency_key_missing' } });
    expect(await businessItems()).toEqual(before);
  });
});
