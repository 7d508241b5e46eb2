import { readFileSync } from 'node:fs';
import { validate } from '@readme/openapi-parser';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { renderOpenApi } from '../../infra/openapi.ts';
import { routes } from '../../infra/routes/index.ts';
import { startTestApp, type TestApp } from '../support/app.ts';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app?.close();
});

it('the checked-in docs/openapi.json is current (run `npm run openapi` after changing routes or schemas)', () => {
  expect(readFileSync(new URL('../../docs/openapi.json', import.meta.url), 'utf8')).toBe(renderOpenApi());
});

it('the validator does reject a broken document (so the check below can fail)', async () => {
  const broken = JSON.parse(renderOpenApi());
  broken.paths['/v1/health'].get.responses = { 200: { content: 'nope' } };
  expect((await validate(broken)).valid).toBe(false);
});

it('GET /v1/openapi.json serves a valid OpenAPI 3.1 document covering every deployed route', async () => {
  const res = await app.call<{ openapi: string; paths: Record<string, Record<string, unknown>> }>(
    'GET',
    '/v1/openapi.json',
  );
  expect(res.status).toBe(200);
  expect(res.json.openapi).toBe('3.1.0');
  const result = await validate(structuredClone(res.json) as never);
  expect(result.valid ? [] : result.errors).toEqual([]);
  for (const route of routes.filter((r) => !r.localOnly)) {
    expect(
      res.json.paths[route.path]?.[route.method.toLowerCase()],
      `${route.method} ${route.path}`,
    ).toBeDefined();
  }
});

it('documents the Idempotency-Key and Step-Up-Token headers where routes require them', () => {
  const doc = JSON.parse(renderOpenApi()) as {
    paths: Record<
      string,
      Record<string, { parameters?: Array<{ in: string; name: string; required?: boolean }> }>
    >;
  };
  const header = (path: string, method: string, name: string) =>
    doc.paths[path]?.[method]?.parameters?.find((p) => p.in === 'header' && p.name === name);
  expect(header('/v1/me/cards', 'post', 'Step-Up-Token')?.required).toBe(true);
  expect(header('/v1/checkout-sessions/{id}/authorize', 'post', 'Step-Up-Token')?.required).toBe(false);
  expect(header('/v1/orders', 'post', 'Idempotency-Key')?.required).toBe(true);
  for (const route of routes.filter((r) => r.stepUp)) {
    expect(header(route.path, route.method.toLowerCase(), 'Step-Up-Token'), route.operationId).toBeDefined();
  }
});
