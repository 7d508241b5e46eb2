import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { verifyWebhook } from '../../examples/verify-webhook.ts';
import { fixedClock, setClock } from '../../functions/lib/clock.ts';
import { ddb } from '../../functions/lib/dynamodb.ts';
import { newId } from '../../functions/lib/ids.ts';
import { setResolver } from '../../functions/lib/outbound.ts';
import { webhookEvent } from '../../functions/webhooks/events.ts';
import { deliverPendingNow } from '../../functions/webhooks/job.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { tableResolver, testDefaultResolver } from '../support/dns.ts';
import { merchantOverHttp } from '../support/merchants.ts';

let app: TestApp;
let server: Server;
let receiverUrl = '';
const received: { headers: IncomingHttpHeaders; body: string }[] = [];
let receiverStatus = 200;
const T0 = new Date('2026-03-01T12:00:00.000Z');
const clock = fixedClock(T0);

beforeAll(async () => {
  app = await startTestApp();
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(receiverStatus).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  receiverUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
});

afterAll(async () => {
  setClock(undefined);
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await app?.close();
});

beforeEach(() => {
  clock.set(T0);
  setClock(clock);
  received.length = 0;
  receiverStatus = 200;
});

const createMerchant = (name = 'Hooks') => merchantOverHttp(app, { name });

const register = (apiKey: string, body: unknown, key: string | undefined = randomUUID()) =>
  app.call<{ url: string; secret: string; status: string; object: string }>('POST', '/v1/webhook-endpoints', {
    auth: apiKey,
    body,
    ...(key === undefined ? {} : { headers: { 'Idempotency-Key': key } }),
  });

/** Stands in for the orders capability until it lands: the event commits in its own transaction. */
async function emitOrderEvent(merchantId: string, sequence: number) {
  const objectId = newId('order');
  const { event, items } = webhookEvent(
    { merchantId, type: 'order.captured', objectId, sequence, data: { id: objectId, status: 'captured' } },
    clock,
  );
  await ddb().send(new TransactWriteCommand({ TransactItems: items }));
  return event;
}

describe('merchant webhook endpoints over HTTP', () => {
  it('registers an endpoint, shows the secret once, lists it without the secret', async () => {
    const merchant = await createMerchant();
    const res = await register(merchant.apiKey, { url: receiverUrl });
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({ object: 'webhook_endpoint', url: receiverUrl, status: 'enabled' });
    expect(res.json.secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);

    const listed = await app.call<{ data: Record<string, unknown>[] }>('GET', '/v1/webhook-endpoints', {
      auth: merchant.apiKey,
    });
    expect(listed.status).toBe(200);
    expect(listed.json.data).toEqual([
      {
        id: expect.stringMatching(/^we_/),
        object: 'webhook_endpoint',
        url: receiverUrl,
        enabledEvents: ['*'],
        status: 'enabled',
        secretCreatedAt: T0.toISOString(),
        createdAt: T0.toISOString(),
      },
    ]);
    expect(listed.text).not.toContain(res.json.secret);

    // The endpoint item keeps it encrypted only.
    const endpointItem = (await app.scanAll()).main?.find(
      (i) => i.type === 'webhookEndpoint' && i.merchantId === merchant.id,
    );
    expect(endpointItem?.url).toBe(receiverUrl);
    expect(JSON.stringify(endpointItem)).not.toContain(res.json.secret);

    // Another merchant sees only its own (none).
    const other = await createMerchant('Other');
    const theirs = await app.call<{ data: unknown[] }>('GET', '/v1/webhook-endpoints', {
      auth: other.apiKey,
    });
    expect(theirs.json.data).toEqual([]);
  });

  it('a replay with the same Idempotency-Key returns the same secret byte-for-byte; a new key rotates', async () => {
    const merchant = await createMerchant();
    const first = await register(merchant.apiKey, { url: receiverUrl }, 'key-1');
    const replay = await register(merchant.apiKey, { url: receiverUrl }, 'key-1');
    expect(replay.status).toBe(201);
    expect(replay.text).toBe(first.text);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    // The stored replay copy is sealed: no table holds the secret in clear text.
    expect(JSON.stringify(await app.scanAll())).not.toContain(first.json.secret);

    clock.set(new Date(T0.getTime() + 60_000));
    const rotated = await register(merchant.apiKey, { url: receiverUrl }, 'key-2');
    expect(rotated.json.secret).not.toBe(first.json.secret);
    expect(rotated.json).toMatchObject({ previousSecretExpiresAt: '2026-03-02T12:01:00.000Z' });
  });

  it('a signed event reaches the receiver and verifies with the secret from the response', async () => {
    const merchant = await createMerchant();
    const { json } = await register(merchant.apiKey, { url: receiverUrl });
    const event = await emitOrderEvent(merchant.id, 1);
    expect(await deliverPendingNow()).toMatchObject({ delivered: 1 });
    expect(received).toHaveLength(1);
    const [request] = received;
    expect(
      verifyWebhook(request?.body ?? '', request?.headers['tessera-signature'], json.secret, {
        now: clock.now(),
      }),
    ).toEqual(event);
  });
});

describe('the DLQ for operators', () => {
  it('a receiver returning 500 ends dead, is listed by GET /v1/admin/webhook-deliveries, and can be retried', async () => {
    process.env.WEBHOOK_MAX_ATTEMPTS = '3';
    try {
      receiverStatus = 500;
      const merchant = await createMerchant();
      await register(merchant.apiKey, { url: receiverUrl });
      const event = await emitOrderEvent(merchant.id, 1);
      for (let i = 0; i < 3; i++) {
        await deliverPendingNow();
        clock.set(new Date(clock.now().getTime() + 10 * 60_000)); // past the next backoff
      }
      expect(received).toHaveLength(3);

      const refused = await app.call('GET', '/v1/admin/webhook-deliveries?status=dead');
      expect(refused.status).toBe(401);

      const dead = await app.call<{
        data: { id: string; status: string; attempts: number }[];
        hasMore: boolean;
      }>('GET', '/v1/admin/webhook-deliveries?status=dead&limit=100', { auth: app.operator });
      expect(dead.status).toBe(200);
      expect(dead.json.data.find((d) => d.id === event.id)).toMatchObject({
        status: 'dead',
        attempts: 3,
        lastStatusCode: 500,
      });

      receiverStatus = 200;
      const retried = await app.call<{ status: string }>(
        'POST',
        `/v1/admin/webhook-deliveries/${event.id}/retry`,
        { auth: app.operator },
      );
      expect(retried.status).toBe(200);
      expect(retried.json).toMatchObject({ status: 'pending', attempts: 0 });
      // Retrying what is no longer dead is a conflict, not a second requeue.
      const again = await app.call('POST', `/v1/admin/webhook-deliveries/${event.id}/retry`, {
        auth: app.operator,
      });
      expect(again.status).toBe(409);
      expect(again.json).toMatchObject({ error: { code: 'delivery_not_retryable' } });

      await deliverPendingNow();
      expect(received).toHaveLength(4);
      const audit = (await app.scanAll()).main?.filter((i) => i.type === 'audit' && i.subject === event.id);
      expect(audit).toEqual([expect.objectContaining({ action: 'webhook.delivery_requeued' })]);
    } finally {
      delete process.env.WEBHOOK_MAX_ATTEMPTS;
    }
  });

  it('pages with an opaque cursor', async () => {
    process.env.WEBHOOK_MAX_ATTEMPTS = '1';
    try {
      receiverStatus = 500;
      const merchant = await createMerchant();
      await register(merchant.apiKey, { url: receiverUrl });
      for (let i = 1; i <= 3; i++) await emitOrderEvent(merchant.id, i);
      await deliverPendingNow();
      const seen = new Set<string>();
      let cursor: string | undefined;
      do {
        const page = await app.call<{ data: { id: string }[]; hasMore: boolean; nextCursor?: string }>(
          'GET',
          `/v1/admin/webhook-deliveries?status=dead&limit=1${cursor ? `&startingAfter=${cursor}` : ''}`,
          { auth: app.operator },
        );
        expect(page.status).toBe(200);
        for (const d of page.json.data) seen.add(d.id);
        cursor = page.json.hasMore ? page.json.nextCursor : undefined;
      } while (cursor);
      expect(seen.size).toBeGreaterThanOrEqual(3);

      const forged = await app.call('GET', '/v1/admin/webhook-deliveries?status=dead&startingAfter=abc', {
        auth: app.operator,
      });
      expect(forged.status).toBe(400);
      expect(forged.json).toMatchObject({ error: { param: 'startingAfter' } });
    } finally {
      delete process.env.WEBHOOK_MAX_ATTEMPTS;
    }
  });
});

describe('bad input is refused with the error shape and nothing is written', () => {
  let apiKey = '';
  beforeAll(async () => {
    apiKey = (await createMerchant('Bad input')).apiKey;
    setResolver(tableResolver({ 'metadata.test': ['93.184.215.14', '169.254.169.254'] }));
  });
  afterAll(() => setResolver(testDefaultResolver));

  const business = (tables: Record<string, Record<string, unknown>[]>) =>
    // A definitive 4xx is stored under its Idempotency-Key (so a retry gets the same answer); that
    // record is the kernel's, not a business write.
    (tables.main ?? []).filter((i) => i.type !== 'idempotency');

  const cases: Array<[string, { body?: unknown; rawBody?: string; key?: string | null }, number, string]> = [
    ['an http URL off loopback', { body: { url: 'http://example.com/hooks' } }, 422, 'webhook_url_insecure'],
    [
      'a missing Idempotency-Key',
      { body: { url: 'https://shop.example/hooks' }, key: null },
      400,
      'idempotency_key_missing',
    ],
    [
      'an unknown field',
      { body: { url: 'https://shop.example/hooks', events: ['*'] } },
      400,
      'parameter_unknown',
    ],
    [
      'a host that resolves to the metadata address (among others)',
      { body: { url: 'https://metadata.test/hooks' } },
      422,
      'webhook_url_forbidden',
    ],
    ['a missing url', { body: {} }, 400, 'parameter_missing'],
    ['not a URL', { body: { url: 'not a url' } }, 400, 'parameter_invalid'],
    ['an ftp URL', { body: { url: 'ftp://shop.example/hooks' } }, 400, 'parameter_invalid'],
    [
      'a URL with credentials',
      { body: { url: 'https://u:p@shop.example/hooks' } },
      422,
      'webhook_url_forbidden',
    ],
    ['malformed JSON', { rawBody: '{"url": ' }, 400, 'invalid_json'],
  ];

  it.each(cases)('%s', async (_name, opts, status, code) => {
    const before = await app.scanAll();
    const res = await app.call('POST', '/v1/webhook-endpoints', {
      auth: apiKey,
      ...(opts.body !== undefined ? { body: opts.body } : {}),
      ...(opts.rawBody !== undefined ? { rawBody: opts.rawBody } : {}),
      headers: {
        'Content-Type': 'application/json',
        ...(opts.key === null ? {} : { 'Idempotency-Key': opts.key ?? randomUUID() }),
      },
    });
    expect(res.status).toBe(status);
    expect(res.json).toMatchObject({ error: { code, requestId: expect.stringMatching(/^req_/) } });
    expect(business(await app.scanAll())).toEqual(business(before));
  });

  it('no API key: 401, nothing written', async () => {
    const before = await app.scanAll();
    const res = await register('', { url: receiverUrl });
    expect(res.status).toBe(401);
    expect(await app.scanAll()).toEqual(before);
  });

  it.each([
    ['an unknown status', '?status=delivered', 'parameter_invalid'],
    // zod reports a missing enum as invalid_value, which the kernel maps to parameter_invalid.
    ['a missing status', '', 'parameter_invalid'],
    ['skipped without a merchant', '?status=skipped', 'parameter_missing'],
    ['an unknown parameter', '?status=dead&foo=1', 'parameter_unknown'],
    ['a limit over 100', '?status=dead&limit=101', 'parameter_invalid'],
  ])('the operator list refuses %s', async (_name, query, code) => {
    const res = await app.call('GET', `/v1/admin/webhook-deliveries${query}`, { auth: app.operator });
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({ error: { code } });
  });

  it('retrying an unknown delivery is a 404; a malformed id a 400', async () => {
    const before = await app.scanAll();
    const missing = await app.call('POST', `/v1/admin/webhook-deliveries/${newId('event')}/retry`, {
      auth: app.operator,
    });
    expect(missing.status).toBe(404);
    const malformed = await app.call('POST', '/v1/admin/webhook-deliveries/ord_1/retry', {
      auth: app.operator,
    });
    expect(malformed.status).toBe(400);
    expect(await app.scanAll()).toEqual(before);
  });
});
