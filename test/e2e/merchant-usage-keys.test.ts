import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { USAGE_KEY_REFUSED } from '../../functions/lib/errors.ts';
import { startTestApp, type TestApp } from '../support/app.ts';

/**
 * The usage key (`x-api-key`) through the local gateway, as API Gateway answers with
 * `merchantApiKeys` on: merchant routes need the key issued at onboarding, before the secret key
 * is even looked at (infra/constructs/api.ts INVALID_API_KEY; infra/local/gateway.ts).
 */
let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({ merchantApiKeys: true });
});
afterAll(async () => {
  await app?.close();
});

interface Issued {
  id: string;
  apiKey: string;
  usageKey: string;
}

/** A merchant request with exactly these credentials (no usage key added for us). */
const send = (apiKey: string, usageKey?: string) =>
  fetch(`${app.url}/v1/config`, {
    headers: {
      Authorization: `Bearer ${apiKey}`,
      ...(usageKey === undefined ? {} : { 'x-api-key': usageKey }),
    },
  });

async function onboard(name: string): Promise<Issued> {
  const created = await app.call<Issued>('POST', '/v1/admin/merchants', {
    auth: app.operator,
    body: { name },
  });
  expect(created.status, created.text).toBe(201);
  const activated = await app.call('POST', `/v1/admin/merchants/${created.json.id}/activate`, {
    auth: app.operator,
  });
  expect(activated.status).toBe(200);
  return created.json;
}

const refused = async (res: Response) => {
  expect(res.status).toBe(403);
  expect(await res.json()).toEqual({
    error: {
      type: 'permission_error',
      code: 'usage_key_invalid',
      message: USAGE_KEY_REFUSED,
      requestId: expect.stringMatching(/^req_/),
    },
  });
};

describe('merchant usage keys through the local gateway', () => {
  it('issues a usage key at onboarding, shown once beside the secret key and never stored', async () => {
    const merchant = await onboard('Keyed');
    expect(merchant.usageKey).toMatch(/^[0-9a-f]{48}$/);
    const tables = JSON.stringify(await app.scanAll());
    expect(tables).not.toContain(merchant.usageKey);
    const fetched = await app.call('GET', `/v1/admin/merchants/${merchant.id}`, { auth: app.operator });
    expect(fetched.text).not.toContain(merchant.usageKey);
  });

  it('refuses a merchant request without the key, or with a wrong one (403), and serves it with the key', async () => {
    const merchant = await onboard('Gated');
    await refused(await send(merchant.apiKey));
    await refused(await send(merchant.apiKey, ''));
    await refused(await send(merchant.apiKey, 'f'.repeat(48)));
    const ok = await send(merchant.apiKey, merchant.usageKey);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ object: 'config' });
  });

  it('checks the usage key before the secret key, as API Gateway does', async () => {
    await refused(await send('sk_test_not-a-key'));
    const merchant = await onboard('Order');
    const wrongSecret = await send('sk_test_not-a-key', merchant.usageKey);
    expect(wrongSecret.status).toBe(401);
  });

  it('needs no usage key on public, customer and operator routes', async () => {
    expect((await fetch(`${app.url}/v1/health`)).status).toBe(200);
    const list = await fetch(`${app.url}/v1/admin/merchants`, {
      headers: { Authorization: `Bearer ${app.operator}` },
    });
    expect(list.status).toBe(200);
  });

  it('rotation replaces both keys: the old usage key is revoked at once', async () => {
    const merchant = await onboard('Rotating');
    const rotated = await app.call<Issued>('POST', `/v1/admin/merchants/${merchant.id}/keys`, {
      auth: app.operator,
    });
    expect(rotated.status).toBe(200);
    expect(rotated.json.usageKey).toMatch(/^[0-9a-f]{48}$/);
    expect(rotated.json.usageKey).not.toBe(merchant.usageKey);
    expect((await send(rotated.json.apiKey, rotated.json.usageKey)).status).toBe(200);
    await refused(await send(rotated.json.apiKey, merchant.usageKey));
    expect((await send(merchant.apiKey, rotated.json.usageKey)).status).toBe(401);
  });

  it("keeps a suspended merchant's usage key, so it hears why: 403 merchant_suspended", async () => {
    const merchant = await onboard('Paused');
    const suspended = await app.call('POST', `/v1/admin/merchants/${merchant.id}/suspend`, {
      auth: app.operator,
    });
    expect(suspended.status).toBe(200);
    const res = await send(merchant.apiKey, merchant.usageKey);
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ error: { code: 'merchant_suspended' } });
  });
});
