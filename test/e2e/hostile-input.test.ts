import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.ts';
import { checkoutFixtures, idempotencyKey, type Json } from '../support/checkout.ts';
import { newCredentials } from '../support/customers.ts';
import { rawRequest } from '../support/raw.ts';

/**
 * Issue 9, over real HTTP through the local gateway: card numbers in free text and in stored
 * headers, malformed input (never a 5xx), repeated security headers, and rewrap's key check.
 */
let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app?.close();
});

const { newMerchant, merchantPost } = checkoutFixtures(() => app);

/** A request exactly as written (repeated headers, an unnormalized target). */
const raw = (method: string, target: string, headers: string[] = [], body?: string) =>
  rawRequest(app.url, method, target, headers, body);

/** Every item of every table, to prove a refused request wrote nothing. */
async function snapshot() {
  const tables = await app.scanAll();
  return JSON.stringify(tables);
}

let merchant: { id: string; apiKey: string };
beforeAll(async () => {
  merchant = await newMerchant();
});

describe('card numbers in free text are refused, naming the field, and nothing is written', () => {
  it.each(['4111111111111111', '4111 1111-1111.1111', 'ref4111111111111111x'])(
    'POST /v1/checkout-sessions merchantReference %j is 400 pan_not_allowed',
    async (merchantReference) => {
      const before = await snapshot();
      const res = await merchantPost<Json>(merchant.apiKey, '/v1/checkout-sessions', {
        amount: 40_000,
        currency: 'USD',
        merchantReference,
      });
      expect(res.status).toBe(400);
      expect(res.json).toMatchObject({
        error: { type: 'invalid_request_error', code: 'pan_not_allowed', param: 'merchantReference' },
      });
      expect(res.text).not.toContain('1111');
      expect(await snapshot()).toBe(before);
    },
  );

  it('in a merchant name, a webhook URL and a customer email too', async () => {
    const before = await snapshot();
    const name = await app.call('POST', '/v1/admin/merchants', {
      auth: app.operator,
      body: { name: 'Shop 4111-1111-1111-1111' },
    });
    expect(name.json).toMatchObject({ error: { code: 'pan_not_allowed', param: 'name' } });
    const url = await merchantPost<Json>(merchant.apiKey, '/v1/webhook-endpoints', {
      url: 'https://example.com/hooks?ref=4111111111111111',
    });
    expect(url.json).toMatchObject({ error: { code: 'pan_not_allowed', param: 'url' } });
    const email = await app.call('POST', '/v1/customers', {
      body: { ...newCredentials(), email: '4111111111111111@example.com' },
    });
    expect(email.json).toMatchObject({ error: { code: 'pan_not_allowed', param: 'email' } });
    expect(await snapshot()).toBe(before);
  });

  it('in a stored header: Idempotency-Key and User-Agent', async () => {
    const before = await snapshot();
    const body = { amount: 40_000, currency: 'USD', merchantReference: 'cart-1' };
    const key = await merchantPost<Json>(merchant.apiKey, '/v1/checkout-sessions', body, '4111111111111111');
    expect(key.status).toBe(400);
    expect(key.json).toMatchObject({ error: { code: 'pan_not_allowed', param: 'Idempotency-Key' } });
    const agent = await app.call('POST', '/v1/customers', {
      headers: { 'User-Agent': 'Browser/4111 1111 1111 1111' },
      body: newCredentials(),
    });
    expect(agent.status).toBe(400);
    expect(agent.json).toMatchObject({ error: { code: 'pan_not_allowed', param: 'User-Agent' } });
    expect(await snapshot()).toBe(before);
  });
});

describe('malformed input never reaches a 5xx', () => {
  const auth = () => `Authorization: Bearer ${merchant.apiKey}`.split(': ');

  it.each([
    ['GET /v1/orders/% without credentials', 'GET', '/v1/orders/%', [] as string[]],
    ['GET /v1/orders/% (authenticated)', 'GET', '/v1/orders/%', null],
    ['GET /v1/orders/%E0%A4%A', 'GET', '/v1/orders/%E0%A4%A', null],
    ['an absolute-form target', 'GET', 'http://evil.example/v1/health', []],
    ['a target naming a host and a bad port', 'GET', '//a:99999/v1/health', []],
    ['bad percent-encoding in a query', 'GET', '/v1/orders?startingAfter=%&limit=%zz', null],
    ['a query with a lone surrogate', 'GET', '/v1/orders?startingAfter=%ED%A0%80', null],
    ['an unknown query parameter', 'GET', '/v1/orders?x=1', null],
  ])('%s is a 4xx', async (_name, method, target, headers) => {
    const res = await raw(method, target, headers ?? auth());
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(res.json.error?.type).toBeDefined();
  });

  it('GET /v1/orders/% is 400 malformed_request', async () => {
    const res = await raw('GET', '/v1/orders/%');
    expect(res).toMatchObject({ status: 400, json: { error: { code: 'malformed_request' } } });
  });

  it.each([
    ['not JSON', 'application/json', '{"amount":'],
    ['not JSON at all', 'application/json', '\u0000\u0001'],
    ['a JSON array', 'application/json', '[1,2,3]'],
    ['JSON null', 'application/json', 'null'],
    ['a wrong content type', 'text/plain', '{"amount":40000}'],
    ['a form body', 'application/x-www-form-urlencoded', 'amount=40000'],
    ['deeply nested JSON', 'application/json', `${'['.repeat(30_000)}${']'.repeat(30_000)}`],
    [
      'deeply nested in a field',
      'application/json',
      `{"merchantReference":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}}`,
    ],
    [
      'an unpaired surrogate',
      'application/json',
      '{"amount":40000,"currency":"USD","merchantReference":"\\ud800"}',
    ],
    ['a huge number', 'application/json', '{"amount":1e400,"currency":"USD","merchantReference":"x"}'],
  ])('POST /v1/checkout-sessions with %s is a 4xx', async (_name, contentType, body) => {
    const res = await raw(
      'POST',
      '/v1/checkout-sessions',
      [...auth(), 'Content-Type', contentType, 'Idempotency-Key', idempotencyKey()],
      body,
    );
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
  });

  it('a huge header is a 4xx', async () => {
    const res = await raw('GET', '/v1/health', ['X-Big', 'x'.repeat(20_000)]);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
  });
});

describe('a repeated security header is a 400 (issue 9)', () => {
  it.each([
    ['Authorization', ['Authorization', 'Bearer sk_test_random', 'Authorization', 'KEY']],
    ['Authorization', ['authorization', 'Bearer sk_test_random', 'Authorization', 'KEY']],
    ['Idempotency-Key', ['Authorization', 'KEY', 'Idempotency-Key', 'a', 'Idempotency-Key', 'b']],
    ['Step-Up-Token', ['Authorization', 'KEY', 'Step-Up-Token', 'a', 'Step-Up-Token', 'b']],
  ])('%s twice', async (param, headers) => {
    const before = await snapshot();
    const withKey = headers.map((h) => (h === 'KEY' ? `Bearer ${merchant.apiKey}` : h));
    const res = await raw(
      'POST',
      '/v1/checkout-sessions',
      [
        ...withKey,
        'Content-Type',
        'application/json',
        ...(param === 'Idempotency-Key' ? [] : ['Idempotency-Key', idempotencyKey()]),
      ],
      JSON.stringify({ amount: 40_000, currency: 'USD', merchantReference: 'dup' }),
    );
    expect(res.status).toBe(400);
    expect(res.json.error).toMatchObject({ code: 'header_repeated', param });
    expect(await snapshot()).toBe(before);
  });
});

describe('POST /v1/admin/vault/rewrap accepts only configured vault keys', () => {
  it.each([
    ['a 2,040-character key id', 'k'.repeat(2040)],
    ['an unconfigured key', 'alias/attacker-key'],
    ['a card number', '4111111111111111'],
  ])('%s is a 400 naming targetKeyId, and moves nothing', async (_name, targetKeyId) => {
    const before = await snapshot();
    const res = await app.call('POST', '/v1/admin/vault/rewrap', {
      auth: app.operator,
      body: { targetKeyId },
    });
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({ error: { param: 'targetKeyId' } });
    expect(await snapshot()).toBe(before);
  });

  it('the configured vault key is accepted', async () => {
    const res = await app.call('POST', '/v1/admin/vault/rewrap', {
      auth: app.operator,
      body: { targetKeyId: process.env.VAULT_KEY_ID ?? 'alias/tessera-vault' },
    });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ object: 'vault_rewrap', done: true });
  });
});
