import { readFileSync } from 'node:fs';
import { validate } from '@readme/openapi-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../functions/lib/error-codes.ts';
import { WEBHOOK_EVENT_TYPES } from '../../functions/webhooks/events.ts';
import { renderOpenApi } from '../../infra/openapi.ts';
import { renderClientTypes } from '../../infra/openapi-client.ts';
import { routes } from '../../infra/routes/index.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { admits, type JsonSchema } from '../support/openapi-arbitrary.ts';

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
  type Parameter = { in: string; name: string; required?: boolean };
  const doc = JSON.parse(renderOpenApi()) as {
    paths: Record<string, Record<string, { parameters?: Array<Parameter | { $ref: string }> }>>;
    components: { parameters: Record<string, Parameter> };
  };
  const resolve = (p: Parameter | { $ref: string }) =>
    '$ref' in p ? doc.components.parameters[p.$ref.replace('#/components/parameters/', '')] : p;
  const header = (path: string, method: string, name: string) =>
    doc.paths[path]?.[method]?.parameters?.map(resolve).find((p) => p?.in === 'header' && p.name === name);
  expect(header('/v1/me/cards', 'post', 'Step-Up-Token')?.required).toBe(true);
  expect(header('/v1/checkout-sessions/{id}/authorize', 'post', 'Step-Up-Token')?.required).toBe(false);
  expect(header('/v1/orders', 'post', 'Idempotency-Key')?.required).toBe(true);
  for (const route of routes.filter((r) => r.stepUp)) {
    expect(header(route.path, route.method.toLowerCase(), 'Step-Up-Token'), route.operationId).toBeDefined();
  }
});

describe('the document as generated clients see it', () => {
  const doc = JSON.parse(renderOpenApi()) as {
    servers: Array<{ url: string }>;
    webhooks: Record<string, { post: { parameters: Array<{ name: string; required?: boolean }> } }>;
    components: { schemas: Record<string, JsonSchema> };
    paths: Record<string, Record<string, OperationDoc>>;
  };
  const operations = Object.values(doc.paths).flatMap((methods) => Object.values(methods));

  it('the checked-in generated client types are current (run `npm run openapi`)', async () => {
    const checkedIn = readFileSync(new URL('./generated/tessera-api.ts', import.meta.url), 'utf8');
    expect(checkedIn).toBe(await renderClientTypes());
  });

  it('declares every enum once, as a shared component (one TypeScript enum each with --enum)', async () => {
    const inline: string[] = [];
    const walk = (node: unknown, path: string[]) => {
      if (Array.isArray(node)) {
        node.forEach((n, i) => {
          walk(n, [...path, String(i)]);
        });
        return;
      }
      if (node === null || typeof node !== 'object') return;
      const isComponent = path.length === 3 && path[0] === 'components' && path[1] === 'schemas';
      if ('enum' in node && !isComponent && !path.includes('oneOf')) inline.push(path.join('/'));
      for (const [k, v] of Object.entries(node)) walk(v, [...path, k]);
    };
    walk(doc, []);
    expect(inline).toEqual(['components/headers/IdempotentReplayed/schema']);
    expect(doc.components.schemas.Currency?.enum).toContain('USD');
    // openapi-typescript --enum: no two generated enums with the same members.
    const types = await renderClientTypes({ enum: true });
    const enums = [...types.matchAll(/export enum (\w+) \{([^}]*)\}/g)].map((m) => [
      m[1],
      (m[2] ?? '').replace(/\s+/g, ''),
    ]);
    const byMembers = new Map<string, string[]>();
    for (const [name, members] of enums)
      byMembers.set(members as string, [...(byMembers.get(members as string) ?? []), name as string]);
    expect([...byMembers.values()].filter((names) => names.length > 1)).toEqual([]);
    expect(enums.map(([name]) => name)).toContain('Currency');
  });

  it('every operation has a summary, a description, its error codes and examples that fit their schemas', () => {
    for (const op of operations) {
      expect(op.summary, op.operationId).toBeTruthy();
      expect(op.description, op.operationId).toContain('Error codes:');
      for (const [status, response] of Object.entries(op.responses)) {
        expect(response.headers?.['Request-Id'], `${op.operationId} ${status}`).toBeDefined();
        if (Number(status) >= 400) {
          expect(response['x-error-codes']?.length, `${op.operationId} ${status}`).toBeGreaterThan(0);
        }
        const media = response.content?.['application/json'];
        if (media) {
          expect(media.example, `${op.operationId} ${status}`).toBeDefined();
          expect(
            admits(media.schema, media.example, doc.components),
            `${op.operationId} ${status} example`,
          ).toBe(true);
        }
      }
      const body = op.requestBody?.content['application/json'];
      if (body) {
        expect(admits(body.schema, body.example, doc.components), `${op.operationId} request example`).toBe(
          true,
        );
      }
    }
  });

  it('lists every error code an idempotent operation can answer, and declares Idempotent-Replayed', () => {
    const capture = doc.paths['/v1/orders/{id}/captures']?.post;
    expect(capture?.responses['422']?.['x-error-codes']).toEqual(
      expect.arrayContaining(['idempotency_key_reused', 'capture_exceeds_authorization']),
    );
    expect(capture?.responses['400']?.['x-error-codes']).toContain('idempotency_key_missing');
    expect(capture?.responses['201']?.headers?.['Idempotent-Replayed']).toBeDefined();
    expect(doc.components.schemas.ErrorCode?.enum).toEqual(Object.keys(ERROR_CODES));
  });

  it('has a webhooks section with each event payload and its Tessera-Signature header', () => {
    expect(Object.keys(doc.webhooks).sort()).toEqual([...WEBHOOK_EVENT_TYPES].sort());
    for (const webhook of Object.values(doc.webhooks)) {
      expect(webhook.post.parameters.find((p) => p.name === 'Tessera-Signature')?.required).toBe(true);
    }
  });

  it('names the deployed API and the local runtime as servers', () => {
    expect(doc.servers.map((s) => s.url)).toEqual([
      'https://{apiId}.execute-api.{region}.amazonaws.com/{stage}',
      'http://localhost:3000',
    ]);
  });
});

interface OperationDoc {
  operationId: string;
  summary?: string;
  description?: string;
  requestBody?: { content: { 'application/json': { schema: JsonSchema; example?: unknown } } };
  responses: Record<
    string,
    {
      headers?: Record<string, unknown>;
      content?: { 'application/json'?: { schema: JsonSchema; example?: unknown } };
      'x-error-codes'?: string[];
    }
  >;
}
