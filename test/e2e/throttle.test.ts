import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.ts';
import { rawRequest } from '../support/raw.ts';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({ throttle: { ratePerSecond: 1, burst: 5 } });
});
afterAll(async () => {
  await app?.close();
});

it('throttles a caller past its burst with 429 and Retry-After, like the usage plan', async () => {
  const statuses = [];
  for (let i = 0; i < 8; i++) statuses.push((await app.call('GET', '/v1/health')).status);
  expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
  expect(statuses.slice(5)).toContain(429);
  const limited = await app.call('GET', '/v1/health');
  expect(limited.status).toBe(429);
  expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  expect(limited.json).toMatchObject({ error: { type: 'rate_limit_error', code: 'rate_limited' } });
});

it('throttles on the Authorization the handler sees, whatever is sent before it (issue 9)', async () => {
  // A random first header used to draw a fresh bucket each time while the handler read the last.
  const statuses = [];
  for (let i = 0; i < 8; i++) {
    const headers = ['Authorization', `Bearer sk_test_random${i}`, 'Authorization', 'Bearer sk_test_same'];
    statuses.push((await rawRequest(app.url, 'GET', '/v1/config', headers)).status);
  }
  expect(statuses.slice(0, 5)).toEqual([400, 400, 400, 400, 400]);
  expect(statuses.slice(5)).toContain(429);
});
