import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { clockFromSpec, fixedClock, isoDay } from '../../functions/lib/clock.ts';
import { ApiError, unprocessable } from '../../functions/lib/errors.ts';
import { httpHandler, publicAccess } from '../../functions/lib/http.ts';
import { isId, newId } from '../../functions/lib/ids.ts';
import { logger, redactText } from '../../functions/lib/logger.ts';

const context = {} as Context;
function event(overrides: Partial<APIGatewayProxyEvent> = {}): APIGatewayProxyEvent {
  return {
    resource: '/v1/x',
    path: '/v1/x',
    httpMethod: 'POST',
    headers: { 'Content-Type': 'application/json' },
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    body: null,
    isBase64Encoded: false,
    requestContext: { requestId: 'req_test' } as APIGatewayProxyEvent['requestContext'],
    ...overrides,
  };
}
const invoke = async (
  h: (e: APIGatewayProxyEvent, c: Context) => Promise<APIGatewayProxyResult>,
  e: APIGatewayProxyEvent,
) => {
  const res = await h(e, context);
  return { ...res, json: res.body ? JSON.parse(res.body) : undefined };
};

describe('clock', () => {
  it('fixed clocks move only when told to', () => {
    const c = fixedClock('2026-01-31T00:00:00Z');
    expect(c.now().toISOString()).toBe('2026-01-31T00:00:00.000Z');
    c.advance(86_400_000);
    expect(isoDay(c.now())).toBe('2026-02-01');
  });
  it('TESSERA_CLOCK accepts an ISO instant or an offset, and rejects junk', () => {
    expect(clockFromSpec('2030-05-01T10:00:00Z').now().toISOString()).toBe('2030-05-01T10:00:00.000Z');
    const base = clockFromSpec(undefined).now().getTime();
    const shifted = clockFromSpec('+3d').now().getTime();
    expect(shifted - base).toBeGreaterThanOrEqual(3 * 86_400_000 - 1000);
    expect(() => clockFromSpec('tomorrow')).toThrow(/TESSERA_CLOCK/);
  });
});

describe('ids', () => {
  it('are prefixed, validated by kind, and sort by creation time', () => {
    const a = newId('order', new Date('2026-01-01T00:00:00Z'));
    const b = newId('order', new Date('2026-01-01T00:00:01Z'));
    expect(a).toMatch(/^ord_[0-9A-Z]{26}$/);
    expect(isId('order', a)).toBe(true);
    expect(isId('merchant', a)).toBe(false);
    expect(a < b).toBe(true);
    expect(new Set(Array.from({ length: 1000 }, () => newId('token'))).size).toBe(1000);
  });
});

describe('logger redaction', () => {
  afterEach(() => vi.restoreAllMocks());
  it('masks card-like digit runs and keys in free text', () => {
    expect(redactText('card 4242 4242 4242 4242 ok')).toBe('card [REDACTED_PAN] ok');
    expect(redactText('4000000000000002')).toBe('[REDACTED_PAN]');
    expect(redactText('key sk_test_abcDEF123')).toBe('key [REDACTED_KEY]');
    expect(redactText('order total 12345')).toBe('order total 12345');
  });
  it('never writes secrets or PANs to the log stream', () => {
    const lines: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    logger.info('card 4242424242424242 seen', {
      password: 'hunter2hunter2',
      apiKey: 'sk_test_zzz',
      nested: { number: '5555555555554444', note: 'pan 378282246310005' },
    });
    const out = lines.join('');
    expect(out).toContain('seen');
    for (const secret of [
      '4242424242424242',
      'hunter2hunter2',
      'sk_test_zzz',
      '5555555555554444',
      '378282246310005',
    ]) {
      expect(out).not.toContain(secret);
    }
  });
});

describe('httpHandler', () => {
  const Body = z.strictObject({ name: z.string().min(1), amount: z.number().int().positive() });
  const echo = httpHandler({ auth: publicAccess, body: Body }, async ({ body }) => ({ status: 201, body }));

  it('parses, validates and answers with Request-Id and security headers', async () => {
    const res = await invoke(echo, event({ body: JSON.stringify({ name: 'a', amount: 5 }) }));
    expect(res.statusCode).toBe(201);
    expect(res.json).toEqual({ name: 'a', amount: 5 });
    expect(res.headers?.['Request-Id']).toBe('req_test');
    expect(res.headers?.['Strict-Transport-Security']).toMatch(/max-age/);
    expect(res.headers?.['X-Content-Type-Options']).toBe('nosniff');
    expect(res.headers?.['Cache-Control']).toBe('no-store');
  });

  it.each([
    ['malformed JSON', { body: '{"name":' }, 'invalid_json', undefined],
    [
      'wrong content type',
      { body: 'name=a', headers: { 'Content-Type': 'text/plain' } },
      'unsupported_content_type',
      undefined,
    ],
    ['missing body', { body: null }, 'parameter_missing', undefined],
    [
      'unknown field',
      { body: JSON.stringify({ name: 'a', amount: 1, admin: true }) },
      'parameter_unknown',
      'admin',
    ],
    ['missing field', { body: JSON.stringify({ name: 'a' }) }, 'parameter_missing', 'amount'],
    ['float amount', { body: JSON.stringify({ name: 'a', amount: 1.5 }) }, 'parameter_invalid', 'amount'],
  ])('%s is a 400 in the error shape', async (_name, overrides, code, param) => {
    const res = await invoke(echo, event(overrides as Partial<APIGatewayProxyEvent>));
    expect(res.statusCode).toBe(400);
    expect(res.json.error).toMatchObject({ type: 'invalid_request_error', code, requestId: 'req_test' });
    if (param) expect(res.json.error.param).toBe(param);
    expect(res.headers?.['Request-Id']).toBe('req_test');
  });

  it('maps ApiErrors to their status and hides everything else behind a 500', async () => {
    const rule = httpHandler({ auth: publicAccess }, async () => {
      throw unprocessable('amount_too_large', 'Too high.', 'amount');
    });
    const res = await invoke(rule, event({ httpMethod: 'GET' }));
    expect(res.statusCode).toBe(422);
    expect(res.json.error).toEqual({
      type: 'invalid_request_error',
      code: 'amount_too_large',
      message: 'Too high.',
      param: 'amount',
      requestId: 'req_test',
    });

    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const crash = httpHandler({ auth: publicAccess }, async () => {
      throw new Error('secret table name tessera-prod-main exploded at /var/task/x.js');
    });
    const boom = await invoke(crash, event({ httpMethod: 'GET' }));
    vi.restoreAllMocks();
    expect(boom.statusCode).toBe(500);
    expect(boom.body).not.toMatch(/tessera-prod-main|var\/task|exploded/);
    expect(boom.json.error.code).toBe('internal_error');
  });

  it('validates path and query parameters with their own param paths', async () => {
    const h = httpHandler(
      {
        auth: publicAccess,
        params: z.object({ id: z.string().regex(/^ord_/) }),
        query: z.object({ limit: z.coerce.number().int().min(1).max(100) }),
      },
      async ({ params, query }) => ({ status: 200, body: { id: params.id, limit: query.limit } }),
    );
    const ok = await invoke(
      h,
      event({ httpMethod: 'GET', pathParameters: { id: 'ord_1' }, queryStringParameters: { limit: '5' } }),
    );
    expect(ok.json).toEqual({ id: 'ord_1', limit: 5 });
    const bad = await invoke(
      h,
      event({ httpMethod: 'GET', pathParameters: { id: 'ord_1' }, queryStringParameters: { limit: '500' } }),
    );
    expect(bad.statusCode).toBe(400);
    expect(bad.json.error.param).toBe('limit');
  });

  it('names one request id in the header and the error body even when the event carries none', async () => {
    const res = await invoke(echo, event({ body: '{', requestContext: undefined as never }));
    expect(res.statusCode).toBe(400);
    expect(res.headers?.['Request-Id']).toMatch(/^req_/);
    expect(res.json.error.requestId).toBe(res.headers?.['Request-Id']);
  });

  it('ApiError keeps its headers (Retry-After, WWW-Authenticate)', () => {
    const e = new ApiError(429, 'rate_limit_error', 'rate_limited', 'slow', {
      headers: { 'Retry-After': '2' },
    });
    expect(e.headers).toEqual({ 'Retry-After': '2' });
  });
});
