/**
 * Fuzz (issue 16): fast-check drives every POST endpoint of the route table with a valid body drawn
 * from the OpenAPI document (the zod schemas, through zod-openapi) and one hostile mutation the
 * document-driven conformance test (test/e2e/openapi-conformance.test.ts) does not make: a card
 * number in a free-text field, raw JSON it cannot express (duplicate keys, `__proto__` and
 * `constructor` keys, NaN and Infinity literals, deep nesting), huge strings, unicode.
 * - no answer is a 5xx; a mutation the schema forbids is a 4xx in the error shape;
 * - a refused request writes nothing (every table compared before and after);
 * - no card number lands outside the vault: not in the main table, not in a log line;
 * - the heap does not grow without bound (after GC, within HEAP_TOLERANCE of where it started).
 * Runs per endpoint: 1 in `npm test`, 40 under `RELIABILITY=1` (FUZZ_RUNS overrides).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc, { type Arbitrary } from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { identityCallbackSecret } from '../../functions/identity/callback-secret.ts';
import { IDENTITY_SIGNATURE_HEADER } from '../../functions/identity/provider-port.ts';
import { logger } from '../../functions/lib/logger.ts';
import { signatureHeader } from '../../functions/lib/signature.ts';
import { signKybCallback } from '../../functions/merchants/kyb-signature.ts';
import { buildOpenApiDocument } from '../../infra/openapi.ts';
import { type Route, routes } from '../../infra/routes/index.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { checkoutFixtures, idempotencyKey } from '../support/checkout.ts';
import { registerCustomer } from '../support/customers.ts';
import {
  admits,
  type Components,
  type JsonSchema,
  resolve,
  validValue,
} from '../support/openapi-arbitrary.ts';
import { EXEMPT, MASKED } from '../support/pan-fields.ts';
import { rawRequest } from '../support/raw.ts';

const RUNS = Number(process.env.FUZZ_RUNS ?? (process.env.RELIABILITY === '1' ? 40 : 1));
const HEAP_TOLERANCE_BYTES = 32 * 2 ** 20;
const PANS = ['4111111111111111', '5555 5555 5555 4444', '3782-822463-10005', 'ref4012888888881881x'];
/**
 * Items a refused request may write: the lockout counters that failed sign-ins feed (`guard`), and
 * the stored answer to a definitive refusal under its Idempotency-Key (a replay gets the same 4xx).
 */
const BOOKKEEPING = new Set(['guard', 'idempotency']);
/** The body field `path` of `operationId` as test/support/pan-fields.ts keys it. */
const fieldKey = (operationId: string, path: string[]) => `${operationId}:body.${path.join('.')}`;

/**
 * The provider callbacks authenticate by a signature over the raw body. Each mutation is signed as
 * the provider would sign it, so that it reaches the schema: unsigned, every one would stop at 400
 * `callback_signature_invalid` before its body is read, and the fuzz would test nothing else.
 */
const SIGNED: Record<string, (raw: string) => Promise<[string, string]>> = {
  identityCallback: async (raw) => [
    IDENTITY_SIGNATURE_HEADER,
    signatureHeader(raw, [await identityCallbackSecret()], Math.floor(Date.now() / 1000)),
  ],
  kybCallback: async (raw) => ['Kyb-Signature', await signKybCallback(raw, new Date())],
};

type Doc = {
  paths: Record<
    string,
    Record<string, { requestBody?: { content: { 'application/json': { schema: JsonSchema } } } }>
  >;
  components: Components;
};
const doc = JSON.parse(JSON.stringify(buildOpenApiDocument())) as Doc;
const posts = routes
  .filter((r) => !r.localOnly && r.method === 'POST')
  .map((route) => ({
    route,
    schema: doc.paths[route.path]?.post?.requestBody?.content['application/json'].schema,
  }))
  .filter((x): x is { route: Route; schema: JsonSchema } => x.schema !== undefined);

let app: TestApp;
const credentials: Partial<Record<Route['auth'], string>> = {};
const logs: string[] = [];
const original = { out: process.stdout.write, err: process.stderr.write };
function capture(stream: NodeJS.WriteStream): void {
  // Kept, not passed through: the run logs at DEBUG.
  stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    logs.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    (rest.find((r) => typeof r === 'function') as (() => void) | undefined)?.();
    return true;
  }) as typeof stream.write;
}
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const heap = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};
let heapAtStart = 0;

beforeAll(async () => {
  app = await startTestApp();
  const { newMerchant } = checkoutFixtures(() => app);
  credentials.merchant = (await newMerchant()).apiKey;
  credentials.customer = (await registerCustomer(app)).sessionToken;
  credentials.operator = app.operator;
  // Every log line the handlers write from here on is kept, to be searched for card numbers.
  logger.setLogLevel('DEBUG');
  capture(process.stdout);
  capture(process.stderr);
  heapAtStart = heap();
}, 120_000);
afterAll(async () => {
  process.stdout.write = original.out;
  process.stderr.write = original.err;
  logger.setLogLevel('INFO');
  await app?.close();
});

/** Every (path, value) of the string leaves of a JSON value. */
function stringLeaves(value: unknown, path: string[] = []): string[][] {
  if (typeof value === 'string') return [path];
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([k, v]) => stringLeaves(v, [...path, k]));
}
function setAt(value: unknown, path: string[], leaf: unknown): unknown {
  if (path.length === 0) return leaf;
  const [head, ...rest] = path as [string, ...string[]];
  const copy = (Array.isArray(value) ? [...value] : { ...(value as object) }) as Record<string, unknown>;
  copy[head] = setAt(copy[head], rest, leaf);
  return copy;
}
/**
 * The body's JSON with `"key": <raw>` spliced in (raw JSON: keys and literals JS cannot hold), last,
 * so that it wins over a valid copy of the key (JSON.parse keeps the last), or `first`.
 */
const splice = (body: unknown, key: string, raw: string, first = false) => {
  const text = JSON.stringify(body ?? {});
  const pair = `${JSON.stringify(key)}:${raw}`;
  if (text === '{}') return `{${pair}}`;
  return first ? `{${pair},${text.slice(1)}` : `${text.slice(0, -1)},${pair}}`;
};

interface Mutation {
  what: string;
  raw: string;
  /** The schema forbids it: the answer must be a 4xx. */
  refuse: boolean;
  /**
   * A card number went in: the answer echoes no digits of it, and is 400 when `refuse` (every field
   * but those that mask it, test/support/pan-fields.ts MASKED).
   */
  pan?: string;
}

function mutations(operationId: string, schema: JsonSchema): Arbitrary<Mutation> {
  const s = resolve(schema, doc.components);
  const valid = validValue(s, doc.components).filter((v) => admits(s, v, doc.components));
  const keys = Object.keys(s.properties ?? {});
  const key = keys.length > 0 ? fc.constantFrom(...keys) : fc.constant('x');
  const leafOf = (v: unknown) => {
    // Not the card number's own field, nor a secret that is only hashed or compared (EXEMPT).
    const leaves = stringLeaves(v).filter((path) => !EXEMPT[fieldKey(operationId, path)]);
    return leaves.length > 0 ? fc.constantFrom(...leaves) : fc.constant<string[]>(['note']);
  };
  const forbidden = (body: unknown) => !admits(s, body, doc.components);
  return fc.oneof(
    valid.chain((v) =>
      fc.tuple(leafOf(v), fc.constantFrom(...PANS)).map(([path, pan]): Mutation => {
        const body = setAt(v, path, pan);
        // A support message masks a card number instead of refusing it (MASKED): no 400 expected,
        // but the card number must not come back either way.
        const refuse = !MASKED[fieldKey(operationId, path)];
        return { what: `card number at ${path.join('.')}`, raw: JSON.stringify(body), refuse, pan };
      }),
    ),
    fc
      .tuple(valid, key, fc.constantFrom('NaN', 'Infinity', '-Infinity', '1e999', '-0e-999999'))
      .map(([v, k, literal]) => {
        const raw = splice(v, k, literal);
        // 1e999 parses (to Infinity, which no schema admits); the others are not JSON at all.
        return {
          what: `${k}: ${literal}`,
          raw,
          refuse: literal.startsWith('-0') ? forbidden(JSON.parse(raw)) : true,
        };
      }),
    fc
      .tuple(
        valid,
        fc.constantFrom('__proto__', 'constructor', 'prototype'),
        fc.constantFrom('{"isAdmin":true}', '{"prototype":{"polluted":1}}', '[]', '"x"'),
      )
      .map(([v, k, raw]) => ({ what: `${k} key`, raw: splice(v, k, raw), refuse: true })),
    fc.tuple(valid, key, fc.integer({ min: 100, max: 20_000 })).map(([v, k, depth]) => ({
      what: `${k} nested ${depth} deep`,
      raw: splice(v, k, `${'['.repeat(depth)}${']'.repeat(depth)}`),
      refuse: true,
    })),
    fc.tuple(valid, key, fc.constantFrom(70_000, 1_000_000)).chain(([v, k, n]) =>
      fc.constantFrom('A', '€', '\u202e', '\u0000').map((c) => ({
        what: `${k}: ${n} x ${JSON.stringify(c)}`,
        raw: JSON.stringify({ ...(v as object), [k]: c.repeat(n) }),
        refuse: true,
      })),
    ),
    valid.chain((v) =>
      fc.tuple(leafOf(v), fc.string({ unit: 'binary', minLength: 1, maxLength: 40 })).map(([path, text]) => {
        const body = setAt(v, path, text);
        return { what: `unicode at ${path.join('.')}`, raw: JSON.stringify(body), refuse: forbidden(body) };
      }),
    ),
    fc.tuple(valid, key).map(([v, k]) => {
      // The same key twice, the first copy hostile: JSON.parse keeps the last, and so must every reader.
      const raw = splice(v, k, '{"$ne":null}', true);
      return { what: `duplicate ${k}`, raw, refuse: forbidden(JSON.parse(raw)) };
    }),
  );
}

/**
 * A refusal that is itself a security event is recorded by design: a wrong current password counts
 * toward the account's lockout and is audited (`customer.password_change_failed`, `customer.locked`),
 * as is a refused gate (`gate.*` with outcome refused). Those records are not a write of the request.
 */
const recordedRefusal = (item: Record<string, unknown>) =>
  item.type === 'audit' &&
  (/(_failed|_refused|\.locked)$/.test(String(item.action)) ||
    (String(item.action).startsWith('gate.') && String(item.reason ?? '') !== 'allowed'));

const snapshot = async () => {
  const tables = await app.scanAll();
  return Object.values(tables)
    .flat()
    .filter((item) => !BOOKKEEPING.has(String(item.type ?? '')) && !recordedRefusal(item))
    .map((item) => JSON.stringify(item))
    .sort();
};

describe.each(posts.map((p) => [p.route.operationId, p] as const))('%s', (_id, { route, schema }) => {
  it('hostile bodies: a 4xx in the error shape when refused, never a 5xx, nothing written', async () => {
    const path = route.path.replace(/\{\w+\}/g, 'x');
    await fc.assert(
      fc.asyncProperty(mutations(route.operationId, schema), async (m) => {
        const before = await snapshot();
        const token = credentials[route.auth];
        const sign = SIGNED[route.operationId];
        const headers = [
          ...(token ? ['Authorization', `Bearer ${token}`] : []),
          ...(route.idempotent ? ['Idempotency-Key', idempotencyKey()] : []),
          ...(sign ? await sign(m.raw) : []),
          'Content-Type',
          'application/json',
        ];
        const res = await rawRequest(app.url, 'POST', path, headers, m.raw);
        const label = `${m.what} -> ${res.status} ${JSON.stringify(res.json).slice(0, 200)}`;
        expect(res.status, label).toBeLessThan(500);
        if (m.refuse) expect(res.status, label).toBeGreaterThanOrEqual(400);
        if (res.status >= 400) {
          expect(res.json, label).toMatchObject({
            error: { type: expect.any(String), code: expect.any(String), message: expect.any(String) },
          });
          const after = await snapshot();
          const changed = [
            ...after.filter((x) => !before.includes(x)),
            ...before.filter((x) => !after.includes(x)),
          ];
          expect(
            changed.map((x) => x.slice(0, 160)),
            label,
          ).toEqual([]);
        }
        if (m.pan) {
          if (m.refuse) expect(res.status, label).toBe(400);
          const answer = JSON.stringify(res.json);
          expect(answer, label).not.toContain(m.pan);
          expect(answer, label).not.toContain(m.pan.replace(/\D/g, ''));
        }
      }),
      { numRuns: RUNS },
    );
  }, 120_000);
});

describe('after the fuzz', () => {
  it('no card number outside the vault, in a table or a log line', async () => {
    // Each card number sent, as sent and as bare digits (a plain substring: no false positives;
    // test/e2e/vault-leak.test.ts also hunts for Luhn-valid runs nobody sent).
    const needles = PANS.flatMap((pan) => [pan, pan.replace(/\D/g, '')]);
    const leaks = (text: string) => needles.some((needle) => text.includes(needle));
    const tables = await app.scanAll();
    const outside = Object.entries(tables)
      .filter(([name]) => name !== 'vault')
      .flatMap(([, items]) => items)
      .filter((item) => leaks(JSON.stringify(item)));
    expect(outside.map((item) => `${item.type} ${item.pk}`)).toEqual([]);
    expect(logs.filter(leaks)).toEqual([]);
  });

  it('the heap did not grow without bound', () => {
    expect(heap() - heapAtStart).toBeLessThan(HEAP_TOLERANCE_BYTES);
  });
});
