import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.ts';
import { checkoutFixtures, idempotencyKey } from '../support/checkout.ts';
import { registerCustomer, stepUp } from '../support/customers.ts';

let app: TestApp;
const fx = checkoutFixtures(() => app);

beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app?.close();
});

const readSession = (apiKey: string, id: string) =>
  app.call<{
    status: string;
    approval: { authorizationToken: string; plan: string; termMonths?: number } | null;
    orderId?: string;
    successUrl?: string;
  }>('GET', `/v1/checkout-sessions/${id}`, { auth: apiKey });

describe('POST /v1/checkout-sessions: return URLs and the hosted page url', () => {
  it('returns the hosted page url and keeps https return URLs; refuses any other', async () => {
    const merchant = await fx.newMerchant();
    const session = await fx.openSession(merchant.apiKey, 40_000, {
      successUrl: 'https://shop.example/done?cart=1',
      cancelUrl: 'http://127.0.0.1:8080/cart',
    });
    const created = session as unknown as { url: string; clientToken: string; successUrl: string };
    expect(created.url).toBe(`${app.url}/pay/${created.clientToken}`);
    expect(created.successUrl).toBe('https://shop.example/done?cart=1');
    for (const successUrl of [
      'ftp://shop.example/',
      'http://shop.example/',
      'https://a:b@shop.example/',
      'not a url',
    ]) {
      const res = await app.call<{ error: { code: string; param: string } }>(
        'POST',
        '/v1/checkout-sessions',
        {
          auth: merchant.apiKey,
          headers: { 'Idempotency-Key': idempotencyKey() },
          body: { amount: 40_000, currency: 'USD', merchantReference: 'r', successUrl },
        },
      );
      expect(res.status, successUrl).toBe(400);
      expect(res.json.error).toMatchObject({ code: 'return_url_insecure', param: 'successUrl' });
    }
  });
});

describe('GET /v1/checkout-sessions/{id}', () => {
  it("returns the session to its merchant only, with the shopper's live approval, redeemable once", async () => {
    const merchant = await fx.newMerchant();
    const other = await fx.newMerchant('Other');
    const shopper = await fx.newShopper();
    const session = await fx.openSession(merchant.apiKey);

    const before = await readSession(merchant.apiKey, session.id);
    expect(before.status, before.text).toBe(200);
    expect(before.json).toMatchObject({ status: 'open', approval: null });
    expect(before.text).not.toContain('clientToken');
    expect((await readSession(other.apiKey, session.id)).status).toBe(404);
    expect((await readSession(merchant.apiKey, 'cs_01ARZ3NDEKTSV4RRFFQ69G5FAV')).status).toBe(404);

    const approved = await fx.approve(shopper, session.id, { plan: 'monthly', termMonths: 6 });
    expect(approved.status, approved.text).toBe(200);
    const read = await readSession(merchant.apiKey, session.id);
    expect(read.json.approval).toMatchObject({
      authorizationToken: approved.json.authorizationToken,
      plan: 'monthly',
      termMonths: 6,
    });
    // No table holds the token: only its hash and the nonce it is derived from.
    expect(JSON.stringify(await app.scanAll())).not.toContain(approved.json.authorizationToken);

    const order = await fx.merchantPost<{ id: string }>(merchant.apiKey, '/v1/orders', {
      authorizationToken: read.json.approval?.authorizationToken,
    });
    expect(order.status, order.text).toBe(201);
    const after = await readSession(merchant.apiKey, session.id);
    expect(after.json).toMatchObject({ status: 'completed', approval: null, orderId: order.json.id });
  });
});

describe('hosted pages: hostile input never gets a 5xx', () => {
  it('answers malformed tokens, bodies, cookies and content types with a 4xx page', async () => {
    const merchant = await fx.newMerchant();
    const session = (await fx.openSession(merchant.apiKey)) as unknown as { url: string };
    const path = new URL(session.url).pathname;
    const shopper = await registerCustomer(app);
    await stepUp(app, shopper.sessionToken, 'add_card');
    const cases: Array<[string, string, Record<string, string>, string?]> = [
      ['GET', '/pay/nope', {}],
      ['GET', `/pay/${'x'.repeat(3000)}`, {}],
      ['GET', `${path}?card=%FF`, {}],
      ['GET', path, { Cookie: 'tsr_session=%%%; tsr_csrf=' }],
      ['GET', path, { 'Accept-Language': 'xx-@@, *;q=abc, de;q=2' }],
      ['GET', '/account', { Cookie: `tsr_session=${shopper.sessionToken}x` }],
      ['POST', path, { 'Content-Type': 'application/json' }, '{"do":"approve"}'],
      ['POST', path, { 'Content-Type': 'application/x-www-form-urlencoded' }, '%%%&do=%FF'],
      [
        'POST',
        `${path}/card`,
        { 'Content-Type': 'application/x-www-form-urlencoded' },
        'do=add&number=4242424242424242',
      ],
      ['POST', '/account/payoff', { 'Content-Type': 'application/x-www-form-urlencoded' }, 'order=../../x'],
    ];
    for (const [method, target, headers, body] of cases) {
      const res = await fetch(`${app.url}${target}`, {
        method,
        headers,
        redirect: 'manual',
        ...(body ? { body } : {}),
      });
      const text = await res.text();
      expect(res.status, `${method} ${target}`).toBeLessThan(500);
      expect(text).not.toContain('4242424242424242');
    }
  });
});

describe('hosted pages: the API rate limits', () => {
  it('throttles the pages like the API (per client, 429 with Retry-After)', async () => {
    const slow = await startTestApp({ throttle: { ratePerSecond: 1, burst: 2 } });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) statuses.push((await fetch(`${slow.url}/account`)).status);
      expect(statuses.slice(0, 2)).toEqual([200, 200]);
      expect(statuses).toContain(429);
    } finally {
      await slow.close();
    }
  });
});
