import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { z } from 'zod';
import { fixedClock, setClock } from '../../functions/lib/clock.ts';
import { resetConfig } from '../../functions/lib/config.ts';
import { ddb, resetDdb, tableName } from '../../functions/lib/dynamodb.ts';
import { unprocessable } from '../../functions/lib/errors.ts';
import { httpHandler } from '../../functions/lib/http.ts';
import { canonicalJson, IDEMPOTENCY_TTL_MS, requestHash } from '../../functions/lib/idempotency.ts';
import { createTables, tableEnv } from '../../infra/local/bootstrap-tables.ts';

const clock = fixedClock('2026-04-01T00:00:00Z');
beforeAll(async () => {
  const prefix = `i${randomBytes(4).toString('hex')}-`;
  const endpoint = inject('dynamodbEndpoint');
  Object.assign(process.env, tableEnv(prefix), { DYNAMODB_ENDPOINT: endpoint });
  resetConfig();
  resetDdb();
  setClock(clock);
  await createTables(new DynamoDBClient({ endpoint, region: 'us-east-1' }), prefix);
});

let slowdown = 0;
/** A merchant POST that writes one "order" item per execution, through the shared commit path. */
const createThing = httpHandler(
  {
    auth: async (event) => ({ merchantId: String(event.headers['x-merchant']) }),
    body: z.strictObject({
      amount: z.number().int().positive(),
      fail: z.enum(['none', 'rule', 'crash']).default('none'),
    }),
    idempotency: { scope: (p) => p.merchantId },
  },
  async ({ body, principal, commit }) => {
    if (slowdown) await new Promise((r) => setTimeout(r, slowdown));
    if (body.fail === 'rule') throw unprocessable('amount_too_high', 'Too high.', 'amount');
    if (body.fail === 'crash') throw new Error('transient');
    const id = `thing_${randomBytes(6).toString('hex')}`;
    return commit(
      [
        {
          Put: {
            TableName: tableName(),
            Item: { pk: `THINGS#${principal.merchantId}`, sk: id, amount: body.amount },
          },
        },
      ],
      { status: 201, body: { id, amount: body.amount } },
    );
  },
);

function post(merchant: string, key: string | undefined, body: unknown): Promise<APIGatewayProxyResult> {
  const event = {
    httpMethod: 'POST',
    path: '/v1/things',
    headers: {
      'Content-Type': 'application/json',
      'x-merchant': merchant,
      ...(key ? { 'Idempotency-Key': key } : {}),
    },
    body: JSON.stringify(body),
    requestContext: { requestId: `req_${randomBytes(4).toString('hex')}` },
  } as unknown as APIGatewayProxyEvent;
  return createThing(event, {} as Context);
}
const things = async (merchant: string) =>
  (
    await ddb().send(
      new QueryCommand({
        TableName: tableName(),
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': `THINGS#${merchant}` },
      }),
    )
  ).Items ?? [];

describe('Idempotency-Key on merchant POSTs', () => {
  it('is required', async () => {
    const res = await post('m0', undefined, { amount: 1 });
    expect(res.statusCode).toBe(400);
    expect(JSON.parse(res.body).error.code).toBe('idempotency_key_missing');
    expect(await things('m0')).toHaveLength(0);
  });

  it('a replay returns the first response byte-for-byte and writes nothing more', async () => {
    const first = await post('m1', 'k1', { amount: 100 });
    const again = await post('m1', 'k1', { amount: 100 });
    expect(first.statusCode).toBe(201);
    expect(again.statusCode).toBe(201);
    expect(again.body).toBe(first.body);
    expect(again.headers?.['Idempotent-Replayed']).toBe('true');
    expect(await things('m1')).toHaveLength(1);
  });

  it('the same key with a different body is 422 idempotency_key_reused', async () => {
    await post('m2', 'k', { amount: 100 });
    const res = await post('m2', 'k', { amount: 101 });
    expect(res.statusCode).toBe(422);
    expect(JSON.parse(res.body).error).toMatchObject({
      type: 'idempotency_error',
      code: 'idempotency_key_reused',
    });
    expect(await things('m2')).toHaveLength(1);
  });

  it('keys are scoped per merchant', async () => {
    await post('m3a', 'shared', { amount: 5 });
    const other = await post('m3b', 'shared', { amount: 6 });
    expect(other.statusCode).toBe(201);
    expect(await things('m3b')).toHaveLength(1);
  });

  it('50 concurrent requests with one key execute once; the rest replay or get 409', async () => {
    slowdown = 50;
    const results = await Promise.all(Array.from({ length: 50 }, () => post('m4', 'race', { amount: 7 })));
    slowdown = 0;
    expect(await things('m4')).toHaveLength(1);
    const created = results.filter((r) => r.statusCode === 201);
    const inFlight = results.filter((r) => r.statusCode === 409);
    expect(created.length + inFlight.length).toBe(50);
    expect(new Set(created.map((r) => r.body)).size).toBe(1);
    for (const r of inFlight) expect(JSON.parse(r.body).error.code).toBe('idempotency_request_in_progress');
  });

  it('a business-rule error is stored and replayed; a crash frees the key for a retry', async () => {
    const rule = await post('m5', 'rule', { amount: 1, fail: 'rule' });
    expect(rule.statusCode).toBe(422);
    expect((await post('m5', 'rule', { amount: 1, fail: 'rule' })).body).toBe(rule.body);

    const crash = await post('m5', 'crash', { amount: 1, fail: 'crash' });
    expect(crash.statusCode).toBe(500);
    const record = await ddb().send(
      new GetCommand({ TableName: tableName(), Key: { pk: 'IDEM#m5#crash', sk: 'IDEM' } }),
    );
    expect(record.Item).toBeUndefined();
  });

  it('records expire after 24 h: the key can then be used afresh', async () => {
    await post('m6', 'old', { amount: 1 });
    clock.advance(IDEMPOTENCY_TTL_MS + 1000);
    const res = await post('m6', 'old', { amount: 2 });
    expect(res.statusCode).toBe(201);
    expect(await things('m6')).toHaveLength(2);
    const record = await ddb().send(
      new GetCommand({ TableName: tableName(), Key: { pk: 'IDEM#m6#old', sk: 'IDEM' } }),
    );
    expect(record.Item?.ttl).toBe(Math.floor((clock.now().getTime() + IDEMPOTENCY_TTL_MS) / 1000));
  });
});

/** As API Gateway delivers it: the raw body text, and every header value in multiValueHeaders. */
function postRaw(merchant: string, rawBody: string, headers: Array<[string, string]>) {
  const single: Record<string, string> = { 'Content-Type': 'application/json', 'x-merchant': merchant };
  const multi: Record<string, string[]> = { 'Content-Type': ['application/json'], 'x-merchant': [merchant] };
  for (const [name, value] of headers) {
    single[name] = value;
    multi[name] = [...(multi[name] ?? []), value];
  }
  const event = {
    httpMethod: 'POST',
    path: '/v1/things',
    headers: single,
    multiValueHeaders: multi,
    body: rawBody,
    requestContext: { requestId: `req_${randomBytes(4).toString('hex')}` },
  } as unknown as APIGatewayProxyEvent;
  return createThing(event, {} as Context);
}

describe('issue 9: the request fingerprint and the security headers', () => {
  it('the same JSON in another key order or spacing is the same request (RFC 8785 canonical form)', async () => {
    const first = await postRaw('m7', '{"amount":1,"fail":"none"}', [['Idempotency-Key', 'k']]);
    const reordered = await postRaw('m7', '{"fail":"none","amount":1}', [['Idempotency-Key', 'k']]);
    const spaced = await postRaw('m7', '{ "fail" : "none",\n "amount" : 1.0 }', [['Idempotency-Key', 'k']]);
    expect(first.statusCode).toBe(201);
    for (const replay of [reordered, spaced]) {
      expect(replay.statusCode).toBe(201);
      expect(replay.headers?.['Idempotent-Replayed']).toBe('true');
      expect(replay.body).toBe(first.body);
    }
    expect(await things('m7')).toHaveLength(1);
    const other = await postRaw('m7', '{"fail":"none","amount":2}', [['Idempotency-Key', 'k']]);
    expect(other.statusCode).toBe(422);
  });

  it('the canonical form sorts keys at every depth', () => {
    expect(canonicalJson(JSON.parse('{"b":2,"a":{"d":[1,{"z":0,"y":1}],"c":"é"}}'))).toBe(
      '{"a":{"c":"é","d":[1,{"y":1,"z":0}]},"b":2}',
    );
    expect(requestHash('POST', '/p', canonicalJson({ a: 1, b: 2 }))).toBe(
      requestHash('POST', '/p', canonicalJson({ b: 2, a: 1 })),
    );
  });

  it('a string with an unpaired surrogate is 400 invalid_json, not a 5xx', async () => {
    const res = await postRaw('m8', '{"amount":1,"fail":"none","x":"\\ud800"}', [['Idempotency-Key', 'k']]);
    expect(res.statusCode).toBe(400);
    const lone = await createThing(
      {
        httpMethod: 'POST',
        path: '/v1/things',
        headers: { 'Content-Type': 'application/json', 'x-merchant': 'm8', 'Idempotency-Key': 'k2' },
        body: '{"amount":1,"fail":"\\udc00"}',
        requestContext: { requestId: 'req_lone' },
      } as unknown as APIGatewayProxyEvent,
      {} as Context,
    );
    expect(lone.statusCode).toBe(400);
    expect(await things('m8')).toHaveLength(0);
  });

  it.each([
    ['Authorization', 'Authorization'],
    ['Idempotency-Key', 'Idempotency-Key'],
    ['Step-Up-Token', 'step-up-token'],
    ['Authorization', 'authorization'],
  ])(
    'a repeated %s header (second spelled %s) is 400 header_repeated before anything runs',
    async (first, second) => {
      const res = await postRaw('m9', '{"amount":1}', [
        ['Idempotency-Key', 'k-once'],
        [first, 'value-1'],
        [second, 'value-2'],
      ]);
      expect(res.statusCode).toBe(400);
      expect(JSON.parse(res.body).error).toMatchObject({ code: 'header_repeated', param: first });
      expect(await things('m9')).toHaveLength(0);
    },
  );

  it('a card number in the Idempotency-Key (stored in the key record) is 400 pan_not_allowed', async () => {
    for (const key of ['4111111111111111', 'ref-4111 1111-1111.1111x']) {
      const res = await postRaw('m10', '{"amount":1}', [['Idempotency-Key', key]]);
      expect(res.statusCode).toBe(400);
      expect(JSON.parse(res.body).error).toMatchObject({ code: 'pan_not_allowed', param: 'Idempotency-Key' });
    }
    const res = await postRaw('m10', '{"amount":1}', [
      ['Idempotency-Key', 'ok'],
      ['User-Agent', 'agent/4111111111111111'],
    ]);
    expect(JSON.parse(res.body).error).toMatchObject({ code: 'pan_not_allowed', param: 'User-Agent' });
    expect(await things('m10')).toHaveLength(0);
  });
});
