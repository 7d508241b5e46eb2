/**
 * The OpenAPI document against the running API, for EVERY operation, over real HTTP through the
 * local gateway and DynamoDB Local. Requests are drawn from the document itself (fast-check):
 * - valid ones: what a client generated from the document may send. None may get a 5xx or a status
 *   the operation does not document, and none may be refused with 400 for a reason the document did
 *   not state (a schema-level code such as `parameter_invalid` means the document was looser than
 *   the API);
 * - hostile ones: one mutation the document forbids (a wrong type, an unknown or missing field,
 *   hostile text in a path, query, header or body, a broken JSON body). None may get a 5xx or an
 *   undocumented status.
 * Every error answer must have the one error shape with a code the operation documents.
 *
 * Runs: `TESSERA_CONFORMANCE_RUNS` per operation and kind (default 3 in `npm test`, 1 for the operations
 * that hash a password; the long form: `TESSERA_CONFORMANCE_RUNS=200`). `TESSERA_CONFORMANCE_SEED` replays.
 */
import fc, { type Arbitrary } from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildOpenApiDocument } from '../../infra/openapi.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { checkoutFixtures, idempotencyKey } from '../support/checkout.ts';
import { registerCustomer } from '../support/customers.ts';
import {
  admits,
  type Components,
  hostileString,
  hostileValue,
  type JsonSchema,
  resolve,
  validValue,
} from '../support/openapi-arbitrary.ts';

const RUNS = Number(process.env.TESSERA_CONFORMANCE_RUNS ?? 3);
/** Operations whose every request costs a password hash (or two): fewer runs in the short form. */
const HEAVY = new Set(['registerCustomer', 'createSession', 'deleteCurrentSession']);
const runsOf = (operationId: string) =>
  HEAVY.has(operationId) && !process.env.TESSERA_CONFORMANCE_RUNS ? 1 : RUNS;
const SEED = process.env.TESSERA_CONFORMANCE_SEED ? Number(process.env.TESSERA_CONFORMANCE_SEED) : undefined;

interface Parameter {
  in: 'path' | 'query' | 'header';
  name: string;
  required?: boolean;
  schema: JsonSchema;
}
interface Operation {
  operationId: string;
  security?: Array<Record<string, string[]>>;
  parameters?: Array<Parameter | { $ref: string }>;
  requestBody?: { content: { 'application/json': { schema: JsonSchema } } };
  responses: Record<
    string,
    { content?: { 'application/json'?: { schema: JsonSchema } }; 'x-error-codes'?: string[] }
  >;
}
interface Document {
  paths: Record<string, Record<string, Operation>>;
  components: Components & { parameters?: Record<string, Parameter> };
}

/** Codes that say "the request does not match its schema": a document-valid request never earns one. */
const SCHEMA_CODES = new Set([
  'parameter_invalid',
  'parameter_missing',
  'parameter_unknown',
  'invalid_json',
  'unsupported_content_type',
  'idempotency_key_missing',
  'idempotency_key_invalid',
  'invalid_amount',
  'currency_unsupported',
]);

/**
 * Rules between query parameters, which OpenAPI cannot put in a schema; each is stated in the
 * parameter's description. operationId -> the parameter a 400 may then name.
 */
const CROSS_PARAMETER_RULES: Record<string, string> = {
  listWebhookDeliveries: 'merchantId', // required with status=skipped
};

const doc = JSON.parse(JSON.stringify(buildOpenApiDocument())) as Document;
const operations = Object.entries(doc.paths).flatMap(([path, methods]) =>
  Object.entries(methods).map(([method, operation]) => ({ path, method: method.toUpperCase(), operation })),
);

interface DrawnRequest {
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  body?: unknown;
  rawBody?: string;
  /** The request is valid by the document. */
  valid: boolean;
  what: string;
}

let app: TestApp;
const credentials: Record<string, () => Promise<string | undefined>> = {};
/** Real ids the API handed out, mixed into id-shaped strings so that requests reach past the 404. */
const known: string[] = [];

beforeAll(async () => {
  app = await startTestApp();
  const fixtures = checkoutFixtures(() => app);
  const merchant = await fixtures.newMerchant('Conformance');
  const shopper = await fixtures.newShopper();
  const order = await fixtures.authorizedOrder(merchant, shopper);
  const session = await fixtures.openSession(merchant.apiKey);
  known.push(merchant.id, shopper.customerId, shopper.cardToken, order.id, session.id);
  credentials.merchantApiKey = async () => merchant.apiKey;
  credentials.operatorIam = async () => app.operator;
  credentials.customerSession = async () => shopper.sessionToken;
  // Signing out ends the session it is called with: give it a fresh one each time.
  credentials.freshCustomerSession = async () => (await registerCustomer(app)).sessionToken;
}, 120_000);
afterAll(async () => {
  await app?.close();
});

/** Strings with a pattern sometimes take a real id of that shape. */
function withKnown(schema: JsonSchema, arb: Arbitrary<unknown>): Arbitrary<unknown> {
  const s = resolve(schema, doc.components);
  if (s.type !== 'string' || !s.pattern) return arb;
  const pattern = new RegExp(s.pattern);
  const matching = known.filter((id) => pattern.test(id));
  return matching.length > 0 ? fc.oneof(arb, fc.constantFrom(...matching)) : arb;
}

function validBody(schema: JsonSchema): Arbitrary<unknown> {
  const s = resolve(schema, doc.components);
  if (!s.properties) return validValue(s, doc.components);
  const model: Record<string, Arbitrary<unknown>> = {};
  for (const [name, sub] of Object.entries(s.properties)) {
    model[name] = withKnown(sub, validValue(sub, doc.components));
  }
  const required = (s.required ?? []).filter((k) => k in model);
  return fc.record(model, { requiredKeys: required }).filter((v) => admits(s, v, doc.components));
}

const paramString = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value));

/** The operation's parameters, with `#/components/parameters/…` references resolved. */
function parametersOf(operation: Operation): Parameter[] {
  return (operation.parameters ?? []).map((p) => {
    if (!('$ref' in p)) return p;
    const target = doc.components.parameters?.[p.$ref.replace('#/components/parameters/', '')];
    if (!target) throw new Error(`unresolvable ${p.$ref}`);
    return target;
  });
}

function requestArb(path: string, operation: Operation, hostile: boolean): Arbitrary<DrawnRequest> {
  const params = parametersOf(operation);
  const body = operation.requestBody?.content['application/json'].schema;
  const pathArbs = Object.fromEntries(
    params
      .filter((p) => p.in === 'path')
      .map((p) => [p.name, withKnown(p.schema, validValue(p.schema, doc.components))]),
  );
  const queryArbs = Object.fromEntries(
    params.filter((p) => p.in === 'query').map((p) => [p.name, validValue(p.schema, doc.components)]),
  );
  const queryRequired = params.filter((p) => p.in === 'query' && p.required).map((p) => p.name);
  const headerParams = params.filter((p) => p.in === 'header');
  const valid = fc.record({
    path: fc.record(pathArbs),
    query: fc.record(queryArbs, { requiredKeys: queryRequired }),
    headers: fc.record(
      Object.fromEntries(
        headerParams.map((p) => [
          p.name,
          p.name === 'Idempotency-Key'
            ? fc.constant(null).map(() => idempotencyKey())
            : validValue(p.schema, doc.components),
        ]),
      ),
      { requiredKeys: headerParams.filter((p) => p.required).map((p) => p.name) },
    ),
    body: body ? validBody(body) : fc.constant(undefined),
  });
  const build = (
    v: { path: Record<string, unknown>; query: Record<string, unknown>; headers: Record<string, unknown> },
    rest: Partial<DrawnRequest> & { valid: boolean; what: string },
  ): DrawnRequest => ({
    path: path.replace(/\{(\w+)\}/g, (_, name: string) =>
      encodeURIComponent(paramString(v.path[name]).toWellFormed()),
    ),
    query: Object.fromEntries(Object.entries(v.query).map(([k, x]) => [k, paramString(x)])),
    headers: Object.fromEntries(Object.entries(v.headers).map(([k, x]) => [k, paramString(x)])),
    ...rest,
  });
  if (!hostile) return valid.map((v) => build(v, { valid: true, what: 'valid', body: v.body }));

  const mutations: Arbitrary<DrawnRequest>[] = [];
  if (body) {
    mutations.push(
      fc
        .tuple(valid, hostileValue(body, doc.components))
        .map(([v, b]) => build(v, { body: b, valid: admits(body, b, doc.components), what: 'hostile body' })),
      fc
        .tuple(valid, fc.constantFrom('', '{', '[]', 'null', '{"a":1,"a":2}', '\u0000', '{"amount":1e400}'))
        .map(([v, raw]) => build(v, { rawBody: raw, valid: false, what: 'malformed JSON' })),
    );
  }
  for (const p of params) {
    // Header values must be Latin-1 to be sent at all; an empty path segment is another route.
    const arb =
      p.in === 'header'
        ? hostileString.filter((s) => /^[\t\x20-\x7e]*$/.test(s))
        : p.in === 'path'
          ? hostileString.filter((s) => s !== '')
          : hostileString;
    mutations.push(
      fc.tuple(valid, arb).map(([v, bad]) => {
        const where = p.in === 'path' ? 'path' : p.in === 'query' ? 'query' : 'headers';
        const next = { ...v, [where]: { ...v[where], [p.name]: bad } };
        return build(next, {
          body: v.body,
          valid: p.in !== 'path' && admits(p.schema, bad, doc.components),
          what: `hostile ${p.in} ${p.name}`,
        });
      }),
    );
  }
  mutations.push(
    fc
      .tuple(valid, fc.constantFrom('limit', 'x', 'startingAfter', '__proto__'), hostileString)
      .map(([v, name, bad]) =>
        build(
          { ...v, query: { ...v.query, [name]: bad } },
          { body: v.body, valid: false, what: `hostile query ${name}` },
        ),
      ),
  );
  return fc.oneof(...mutations);
}

async function send(method: string, operation: Operation, request: DrawnRequest) {
  const scheme = Object.keys(operation.security?.[0] ?? {})[0];
  const credential =
    operation.operationId === 'deleteCurrentSession' ? 'freshCustomerSession' : (scheme ?? 'none');
  const auth = await credentials[credential]?.();
  const query = new URLSearchParams(request.query).toString();
  return app.call<{
    error?: { type: string; code: string; message: string; param?: string; requestId: string };
  }>(method, `${request.path}${query ? `?${query}` : ''}`, {
    ...(auth ? { auth } : {}),
    headers: request.headers,
    ...(request.rawBody !== undefined
      ? { rawBody: request.rawBody, headers: { ...request.headers, 'Content-Type': 'application/json' } }
      : request.body !== undefined
        ? { body: request.body }
        : {}),
  });
}

/** The error codes the operation documents for a status (`x-error-codes` of that response). */
function documentedCodes(operation: Operation, status: number): string[] | undefined {
  return operation.responses[String(status)]?.['x-error-codes'];
}

function check(
  method: string,
  path: string,
  operation: Operation,
  request: DrawnRequest,
  res: Awaited<ReturnType<typeof send>>,
) {
  const where = `${method} ${path} (${request.what}) -> ${res.status} ${res.text.slice(0, 300)}\n${JSON.stringify(request).slice(0, 600)}`;
  expect(res.status, where).toBeLessThan(500);
  expect(Object.keys(operation.responses), where).toContain(String(res.status));
  if (res.status >= 400) {
    expect(res.json.error, where).toMatchObject({
      type: expect.any(String),
      code: expect.any(String),
      message: expect.any(String),
      requestId: expect.any(String),
    });
    expect(documentedCodes(operation, res.status), where).toContain(res.json.error?.code);
    const crossParameter = CROSS_PARAMETER_RULES[operation.operationId];
    if (
      request.valid &&
      res.status === 400 &&
      !(crossParameter && res.json.error?.param === crossParameter)
    ) {
      expect(SCHEMA_CODES.has(res.json.error?.code ?? ''), `valid by the document, yet: ${where}`).toBe(
        false,
      );
    }
  } else {
    const schema = operation.responses[String(res.status)]?.content?.['application/json']?.schema;
    if (schema)
      expect(admits(schema, res.json, doc.components), `response off its schema: ${where}`).toBe(true);
  }
}

/** Sends `runsOf` requests drawn for the operation and checks each answer against the document. */
function probe(path: string, method: string, operation: Operation, hostile: boolean) {
  return fc.assert(
    fc.asyncProperty(requestArb(path, operation, hostile), async (request) => {
      check(method, path, operation, request, await send(method, operation, request));
    }),
    {
      numRuns: runsOf(operation.operationId),
      ...(SEED === undefined ? {} : { seed: SEED }),
      endOnFailure: true,
    },
  );
}

describe.each(operations)('$method $path', ({ path, method, operation }) => {
  it('answers every request valid by the document as documented', () =>
    probe(path, method, operation, false));
  it('answers hostile requests with a documented 4xx, never a 5xx', () =>
    probe(path, method, operation, true));
});

it('covers every operation of the document', () => {
  expect(operations.length).toBeGreaterThanOrEqual(30);
});
