import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import type { TestApp } from './app.ts';
import { registerCustomer, stepUp } from './customers.ts';
import { idempotencyKey } from './keys.ts';
import { merchantOverHttp } from './merchants.ts';

export type Json = Record<string, unknown>;
export { idempotencyKey } from './keys.ts';

/**
 * The merchant and shopper steps of a checkout, over real HTTP, shared by the checkout and orders
 * e2e files. `app` is a getter because each file starts its app in `beforeAll`.
 */
export function checkoutFixtures(app: () => TestApp) {
  /** An ACTIVE merchant (created, then approved by the operator): only active merchants take payments. */
  async function newMerchant(name = 'Shop'): Promise<{ id: string; apiKey: string }> {
    return merchantOverHttp(app(), { name });
  }

  async function newShopper(number = '4242424242424242') {
    const shopper = await registerCustomer(app());
    const token = await stepUp(app(), shopper.sessionToken, 'add_card');
    const card = await app().call<{ token: string }>('POST', '/v1/me/cards', {
      auth: shopper.sessionToken,
      headers: { 'Step-Up-Token': token },
      body: { number, expMonth: 12, expYear: 2030, cvc: '123' },
    });
    expect(card.status, card.text).toBe(201);
    return { ...shopper, cardToken: card.json.token };
  }

  const merchantPost = <T = Json>(apiKey: string, path: string, body?: unknown, key = idempotencyKey()) =>
    app().call<T>('POST', path, {
      auth: apiKey,
      headers: { 'Idempotency-Key': key },
      ...(body === undefined ? {} : { body }),
    });

  /** Client secrets of the sessions opened here, so that `approve` presents them as the shopper's app does. */
  const clientTokens = new Map<string, string>();

  async function openSession(apiKey: string, amount = 40_000, extra: Json = {}) {
    const res = await merchantPost<{ id: string; clientToken: string; expiresAt: string; plans: string[] }>(
      apiKey,
      '/v1/checkout-sessions',
      { amount, currency: 'USD', merchantReference: `order-${randomBytes(3).toString('hex')}`, ...extra },
    );
    expect(res.status, res.text).toBe(201);
    clientTokens.set(res.json.id, res.json.clientToken);
    return res.json;
  }

  /** Approves with the session's client secret (a made-up one for a session not opened here). */
  function approve(
    shopper: { sessionToken: string; cardToken: string },
    sessionId: string,
    body: Json = {},
    headers: Record<string, string> = {},
  ) {
    return app().call<{ authorizationToken: string; expiresAt: string }>(
      'POST',
      `/v1/checkout-sessions/${sessionId}/authorize`,
      {
        auth: shopper.sessionToken,
        headers,
        body: {
          clientToken: clientTokens.get(sessionId) ?? `${sessionId}_secret_${'A'.repeat(32)}`,
          plan: 'pay_in_4',
          cardToken: shopper.cardToken,
          ...body,
        },
      },
    );
  }

  /** A merchant's authorized order, through the whole checkout (pay_in_4 unless `plan` says otherwise). */
  async function authorizedOrder(
    merchant: { apiKey: string },
    shopper: { sessionToken: string; cardToken: string },
    amount = 40_000,
    plan: Json = {},
  ) {
    const session = await openSession(merchant.apiKey, amount);
    const approval = await approve(shopper, session.id, plan);
    expect(approval.status, approval.text).toBe(200);
    const order = await merchantPost<Json & { id: string }>(merchant.apiKey, '/v1/orders', {
      authorizationToken: approval.json.authorizationToken,
    });
    expect(order.status, order.text).toBe(201);
    return order.json;
  }

  /** `authorizedOrder`, then the whole amount captured (the first installment is charged at capture). */
  async function capturedOrder(
    merchant: { apiKey: string },
    shopper: { sessionToken: string; cardToken: string },
    amount = 40_000,
    plan: Json = {},
  ) {
    const order = await authorizedOrder(merchant, shopper, amount, plan);
    const capture = await merchantPost(merchant.apiKey, `/v1/orders/${order.id}/captures`, { amount });
    expect(capture.status, capture.text).toBe(201);
    return order;
  }

  /** Runs collection (operator) for `asOf`, synchronously as the local runtime does; the run's counts. */
  async function runCollection<T = Json>(asOf: string) {
    const res = await app().call<T>('POST', '/v1/admin/collections', {
      auth: app().operator,
      body: { asOf },
    });
    expect(res.status, res.text).toBe(200);
    return res.json;
  }

  /** The webhook events recorded for an order, in sequence order. */
  async function events(orderId: string) {
    const tables = await app().scanAll();
    return (tables.main ?? [])
      .filter((item) => item.type === 'webhookEvent' && item.objectId === orderId)
      .sort((a, b) => Number(a.sequence) - Number(b.sequence))
      .map((item) => ({ type: item.eventType as string, sequence: item.sequence as number }));
  }

  return {
    newMerchant,
    newShopper,
    merchantPost,
    openSession,
    approve,
    authorizedOrder,
    capturedOrder,
    runCollection,
    events,
  };
}
