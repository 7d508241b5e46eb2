import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setResolver } from '../../functions/lib/outbound.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { tableResolver, testDefaultResolver } from '../support/dns.ts';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
  setResolver(tableResolver({ 'intranet.test': ['10.0.0.8'] }));
});
afterAll(async () => {
  setResolver(testDefaultResolver);
  await app?.close();
});

const createMerchant = (name = 'Acme') =>
  app.call<{ id: string; apiKey: string; status: string }>('POST', '/v1/admin/merchants', {
    auth: app.operator,
    body: { name },
  });

describe('operator merchant endpoints over HTTP', () => {
  it('creates a merchant and shows its 256-bit key once, storing only the SHA-256', async () => {
    const res = await createMerchant('Shown Once');
    expect(res.status).toBe(201);
    expect(res.json.id).toMatch(/^mer_[0-9A-Z]{26}$/);
    // Every merchant starts under compliance review (test/e2e/merchant-compliance.test.ts).
    expect(res.json.status).toBe('pending_review');
    expect(res.json.apiKey).toMatch(/^sk_test_[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(res.json.apiKey.slice(8), 'base64url')).toHaveLength(32);
    expect(res.headers.get('request-id')).toMatch(/^req_/);
    const tables = await app.scanAll();
    expect(JSON.stringify(tables)).not.toContain(res.json.apiKey);
  });

  it('refuses operator routes without the operator token', async () => {
    const res = await app.call('POST', '/v1/admin/merchants', { body: { name: 'x' } });
    expect(res.status).toBe(401);
    expect(res.json).toMatchObject({ error: { type: 'authentication_error' } });
    const wrong = await app.call('POST', '/v1/admin/merchants', { body: { name: 'x' }, auth: 'op_wrong' });
    expect(wrong.status).toBe(401);
  });

  it('suspends at once (403 merchant_suspended), re-activates, and rotates keys', async () => {
    const { json: merchant } = await createMerchant();
    const key = merchant.apiKey;
    // /v1/config is the merchant-authenticated probe.
    expect((await app.call('GET', '/v1/config', { auth: key })).status).toBe(200);

    const suspended = await app.call('POST', `/v1/admin/merchants/${merchant.id}/suspend`, {
      auth: app.operator,
    });
    expect(suspended.status).toBe(200);
    expect(suspended.json.status).toBe('suspended');
    const refused = await app.call('GET', '/v1/config', { auth: key });
    expect(refused.status).toBe(403);
    expect(refused.json).toMatchObject({ error: { type: 'permission_error', code: 'merchant_suspended' } });

    // Suspending twice is a no-op, not an error.
    expect(
      (await app.call('POST', `/v1/admin/merchants/${merchant.id}/suspend`, { auth: app.operator })).status,
    ).toBe(200);
    expect(
      (await app.call('POST', `/v1/admin/merchants/${merchant.id}/activate`, { auth: app.operator })).json
        .status,
    ).toBe('active');
    expect((await app.call('GET', '/v1/config', { auth: key })).status).toBe(200);

    const rotated = await app.call<{ apiKey: string }>('POST', `/v1/admin/merchants/${merchant.id}/keys`, {
      auth: app.operator,
    });
    expect(rotated.status).toBe(200);
    expect(rotated.json.apiKey).not.toBe(key);
    expect((await app.call('GET', '/v1/config', { auth: key })).status).toBe(401);
    expect((await app.call('GET', '/v1/config', { auth: rotated.json.apiKey })).status).toBe(200);
  });

  it('concurrent rotations: exactly one key survives and the losers get 409', async () => {
    const { json: merchant } = await createMerchant('Race');
    const results = await Promise.all(
      Array.from({ length: 5 }, () =>
        app.call<{ apiKey: string }>('POST', `/v1/admin/merchants/${merchant.id}/keys`, {
          auth: app.operator,
        }),
      ),
    );
    const winners = results.filter((r) => r.status === 200);
    expect(winners.length).toBeGreaterThanOrEqual(1);
    for (const loser of results.filter((r) => r.status !== 200)) expect(loser.status).toBe(409);
    const working = [];
    for (const r of winners) {
      if ((await app.call('GET', '/v1/config', { auth: r.json.apiKey })).status === 200) working.push(r);
    }
    expect(working).toHaveLength(1);
    const keyItems = (await app.scanAll()).main?.filter(
      (i) => i.type === 'apiKey' && i.merchantId === merchant.id,
    );
    expect(keyItems).toHaveLength(1);
  });
});

describe('merchant authentication', () => {
  it.each([
    ['no Authorization header', undefined],
    ['a malformed key', 'not-a-key'],
    ['a well-formed but unknown key', `sk_test_${'A'.repeat(43)}`],
  ])('%s gets 401 in the error shape', async (_name, auth) => {
    const res = await app.call('GET', '/v1/config', auth ? { auth } : {});
    expect(res.status).toBe(401);
    expect(res.json).toMatchObject({
      error: { type: 'authentication_error', requestId: expect.stringMatching(/^req_/) },
    });
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
  });
});

describe('bad input is refused with the error shape and nothing is written', () => {
  const cases: Array<
    [
      string,
      { rawBody?: string; body?: unknown; headers?: Record<string, string>; path?: string },
      number,
      string,
    ]
  > = [
    [
      'malformed JSON',
      { rawBody: '{"name": ', headers: { 'Content-Type': 'application/json' } },
      400,
      'invalid_json',
    ],
    [
      'a wrong content type',
      { rawBody: 'name=x', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } },
      400,
      'unsupported_content_type',
    ],
    ['an oversize body', { body: { name: 'x'.repeat(70 * 1024) } }, 413, 'body_too_large'],
    ['an unknown field', { body: { name: 'x', plan: 'gold' } }, 400, 'parameter_unknown'],
    ['a missing field', { body: {} }, 400, 'parameter_missing'],
    ['an empty name', { body: { name: '   ' } }, 400, 'parameter_invalid'],
    ['a non-URL webhook', { body: { name: 'x', webhookUrl: 'not a url' } }, 400, 'parameter_invalid'],
    [
      'an http webhook off loopback',
      { body: { name: 'x', webhookUrl: 'http://example.com/hook' } },
      422,
      'webhook_url_insecure',
    ],
    [
      'a webhook whose host resolves to a private address',
      { body: { name: 'x', webhookUrl: 'https://intranet.test/hook' } },
      422,
      'webhook_url_forbidden',
    ],
    [
      'a webhook at a literal link-local address',
      { body: { name: 'x', webhookUrl: 'https://169.254.169.254/latest' } },
      422,
      'webhook_url_forbidden',
    ],
  ];
  it.each(cases)('%s', async (_name, opts, status, code) => {
    const before = await app.scanAll();
    const res = await app.call('POST', opts.path ?? '/v1/admin/merchants', { auth: app.operator, ...opts });
    expect(res.status).toBe(status);
    expect(res.json).toMatchObject({ error: { code, requestId: expect.stringMatching(/^req_/) } });
    expect(await app.scanAll()).toEqual(before);
  });

  it('an unknown or foreign merchant id is a 404; a malformed one a 400', async () => {
    const before = await app.scanAll();
    const missing = await app.call('POST', '/v1/admin/merchants/mer_01ARZ3NDEKTSV4RRFFQ69G5FAV/suspend', {
      auth: app.operator,
    });
    expect(missing.status).toBe(404);
    expect(missing.json).toMatchObject({ error: { code: 'resource_missing' } });
    const malformed = await app.call('POST', '/v1/admin/merchants/ord_123/suspend', { auth: app.operator });
    expect(malformed.status).toBe(400);
    expect(malformed.json).toMatchObject({ error: { param: 'id' } });
    expect(await app.scanAll()).toEqual(before);
  });
});

describe('the gateway', () => {
  it('answers an unknown path with 404 and a wrong method with 405, both in the error shape', async () => {
    const unknown = await app.call('GET', '/v1/nothing-here');
    expect(unknown.status).toBe(404);
    expect(unknown.json).toMatchObject({ error: { code: 'route_not_found' } });
    const wrongMethod = await app.call('DELETE', '/v1/health');
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('GET');
    expect(wrongMethod.json).toMatchObject({ error: { code: 'method_not_allowed' } });
    expect(wrongMethod.headers.get('request-id')).toMatch(/^req_/);
  });

  it('serves health with security headers', async () => {
    const res = await app.call('GET', '/v1/health');
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ status: 'ok' });
    expect(res.headers.get('strict-transport-security')).toMatch(/max-age/);
  });
});

describe('the gateway never echoes the request path', () => {
  it('a card number typed into a URL does not come back in the 404', async () => {
    const res = await app.call('GET', '/v1/cards/4242424242424242');
    expect(res.status).toBe(404);
    expect(res.text).not.toContain('4242424242424242');
  });
});
