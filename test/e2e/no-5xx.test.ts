import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Route, routes } from '../../infra/routes/index.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { checkoutFixtures, idempotencyKey } from '../support/checkout.ts';
import { registerCustomer } from '../support/customers.ts';
import { rawRequest } from '../support/raw.ts';

/**
 * Issue 9: "no input may produce a 5xx". Every route of THE route table, authenticated as its
 * callers are, gets hostile path segments, query strings, headers and bodies through the real
 * local gateway; each answer must be a documented 4xx (or a success), never a 5xx.
 */
let app: TestApp;
const credentials: Record<Route['auth'], string | undefined> = {
  public: undefined,
  merchant: undefined,
  customer: undefined,
  operator: undefined,
};
beforeAll(async () => {
  app = await startTestApp();
  const { newMerchant } = checkoutFixtures(() => app);
  credentials.merchant = (await newMerchant()).apiKey;
  credentials.customer = (await registerCustomer(app)).sessionToken;
  credentials.operator = app.operator;
});
afterAll(async () => {
  await app?.close();
});

const SEGMENTS = ['%', '%E0%A4%A', '%00', '%ED%A0%80', 'x'.repeat(4000), '..', '4111111111111111', '\'"<>'];
const QUERIES = [
  '?%',
  '?limit=%zz&startingAfter=%',
  '?limit=1e400',
  '?limit=1&limit=2',
  `?startingAfter=${'a'.repeat(6000)}`,
];
const BODIES: Array<[string, string]> = [
  ['application/json', '{"a":'],
  ['application/json', '[]'],
  ['application/json', '"text"'],
  ['application/json', `${'['.repeat(20_000)}${']'.repeat(20_000)}`],
  ['application/json', '{"amount":1e400,"name":"\\ud800","url":"\\udfff","email":"\\ud800@x.io"}'],
  ['application/json', '{"__proto__":{"x":1},"constructor":{"prototype":{}}}'],
  ['text/plain', '{}'],
  ['application/json; charset=utf-16', '{}'],
];

function pathFor(route: Route, segment: string): string {
  return route.path.replace(/\{\w+\}/g, segment);
}

function headersFor(route: Route): string[] {
  const token = credentials[route.auth];
  return [
    ...(token ? ['Authorization', `Bearer ${token}`] : []),
    ...(route.idempotent ? ['Idempotency-Key', idempotencyKey()] : []),
  ];
}

async function expectNo5xx(route: Route, target: string, headers: string[], body?: string) {
  const res = await rawRequest(app.url, route.method, target, headers, body);
  expect(res.status, `${route.method} ${target.slice(0, 80)} -> ${res.status}`).toBeLessThan(500);
}

describe.each(routes.filter((r) => !r.localOnly).map((r) => [r.operationId, r] as const))(
  '%s',
  (_id, route) => {
    it('hostile path segments, queries and headers', async () => {
      const segments = route.path.includes('{') ? SEGMENTS : [''];
      for (const segment of segments) await expectNo5xx(route, pathFor(route, segment), headersFor(route));
      const path = pathFor(route, 'x');
      for (const query of QUERIES) await expectNo5xx(route, `${path}${query}`, headersFor(route));
      await expectNo5xx(route, path, [...headersFor(route), 'Step-Up-Token', 'x'.repeat(8000)]);
      await expectNo5xx(route, path, [...headersFor(route), 'Idempotency-Key', '\u00ff'.repeat(300)]);
    });

    it('hostile bodies', async () => {
      const path = pathFor(route, 'x');
      for (const [contentType, body] of BODIES) {
        await expectNo5xx(route, path, [...headersFor(route), 'Content-Type', contentType], body);
      }
    });
  },
);
