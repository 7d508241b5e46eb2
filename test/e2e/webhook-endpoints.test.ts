import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { verifyWebhook } from '../../examples/verify-webhook.ts';
import { fixedClock, setClock } from '../../functions/lib/clock.ts';
import { ddb } from '../../functions/lib/dynamodb.ts';
import { newId } from '../../functions/lib/ids.ts';
import { type WebhookEventType, webhookEvent } from '../../functions/webhooks/events.ts';
import { deliverPendingNow } from '../../functions/webhooks/job.ts';
import { startTestApp, type TestApp } from '../support/app.ts';

// Several endpoints per merchant, each subscribed to event types; the event log (issue 13).
let app: TestApp;
let server: Server;
let base = '';
const received: { path: string; headers: IncomingHttpHeaders; body: string }[] = [];
const T0 = new Date('2026-05-04T12:00:00.000Z');
const clock = fixedClock(T0);
type Json = Record<string, unknown>;

beforeAll(async () => {
  app = await startTestApp();
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
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
});

async function merchant(name = 'Hooks') {
  const res = await app.call<{ id: string; apiKey: string }>('POST', '/v1/admin/merchants', {
    auth: app.operator,
    body: { name },
  });
  expect(res.status).toBe(201);
  return res.json;
}

const post = <T = Json>(apiKey: string, path: string, body?: unknown) =>
  app.call<T>('POST', path, {
    auth: apiKey,
    headers: { 'Idempotency-Key': randomUUID() },
    ...(body === undefined ? {} : { body }),
  });
const get = <T = Json>(apiKey: string, path: string) => app.call<T>('GET', path, { auth: apiKey });

/** An order event committed the way the orders capability commits one. */
async function emit(merchantId: string, type: WebhookEventType, sequence = 1) {
  const objectId = newId('order');
  const { event, items } = webhookEvent(
    { merchantId, type, objectId, sequence, data: { id: objectId } },
    clock,
  );
  await ddb().send(new TransactWriteCommand({ TransactItems: items }));
  return event;
}

/** Every item of the main table but idempotency and rate records: "nothing written" compares two. */
async function snapshot() {
  const items = (await app.scanAll()).main ?? [];
  return items.filter((i) => !/^(IDEM|RATE)/.test(String(i.pk))).length;
}

describe('several endpoints, each subscribed to event types', () => {
  it('sends each event only to the endpoints subscribed to it; an unsubscribed event is never sent', async () => {
    const m = await merchant();
    const captures = await post<Json & { id: string; secret: string }>(m.apiKey, '/v1/webhook-endpoints', {
      url: `${base}/captures`,
      enabledEvents: ['order.captured'],
    });
    const all = await post<Json & { id: string; secret: string }>(m.apiKey, '/v1/webhook-endpoints', {
      url: `${base}/all`,
      description: 'everything',
    });
    expect([captures.status, all.status]).toEqual([201, 201]);
    expect(all.json).toMatchObject({ enabledEvents: ['*'], description: 'everything' });
    expect(captures.json.secret).not.toBe(all.json.secret);

    const captured = await emit(m.id, 'order.captured');
    const refunded = await emit(m.id, 'order.refunded');
    expect(await deliverPendingNow()).toMatchObject({ delivered: 2 });
    const to = (path: string) => received.filter((r) => r.path === path).map((r) => JSON.parse(r.body).id);
    expect(to('/captures')).toEqual([captured.id]);
    expect(to('/all').sort()).toEqual([captured.id, refunded.id].sort());
    // Each endpoint signs with its own secret.
    for (const r of received) {
      const secret = r.path === '/captures' ? captures.json.secret : all.json.secret;
      expect(verifyWebhook(r.body, r.headers['tessera-signature'], secret, { now: clock.now() }).object).toBe(
        'event',
      );
    }

    // Narrow the second endpoint: a refund now reaches no endpoint at all.
    const narrowed = await post(m.apiKey, `/v1/webhook-endpoints/${all.json.id}`, {
      enabledEvents: ['installment.paid'],
    });
    expect(narrowed.status, narrowed.text).toBe(200);
    received.length = 0;
    const unsent = await emit(m.id, 'order.refunded', 2);
    expect(await deliverPendingNow()).toMatchObject({ delivered: 0, skipped: 1 });
    expect(received).toEqual([]);
    // The log still has it (it happened); nothing was sent anywhere.
    expect((await get<Json>(m.apiKey, `/v1/events/${unsent.id}`)).status).toBe(200);
  });

  it('GET /v1/events and /v1/events/{id} return exactly what was sent', async () => {
    const m = await merchant();
    await post(m.apiKey, '/v1/webhook-endpoints', { url: `${base}/log` });
    const first = await emit(m.id, 'order.authorized');
    clock.set(new Date(T0.getTime() + 1000));
    const second = await emit(m.id, 'order.captured', 2);
    await deliverPendingNow();
    const sent = new Map(received.map((r) => [JSON.parse(r.body).id as string, r.body]));
    expect(sent.size).toBe(2);

    for (const id of [first.id, second.id]) {
      const one = await get(m.apiKey, `/v1/events/${id}`);
      expect(one.status).toBe(200);
      expect(one.text).toBe(sent.get(id));
    }
    const list = await get<{ data: Json[]; hasMore: boolean; nextCursor?: string }>(
      m.apiKey,
      '/v1/events?limit=1',
    );
    expect(list.json.data.map((e) => e.id)).toEqual([second.id]);
    expect(JSON.stringify(list.json.data[0])).toBe(sent.get(second.id));
    const next = await get<{ data: Json[]; hasMore: boolean }>(
      m.apiKey,
      `/v1/events?limit=1&startingAfter=${list.json.nextCursor}`,
    );
    expect([next.json.data.map((e) => e.id), next.json.hasMore]).toEqual([[first.id], false]);
    const typed = await get<{ data: Json[] }>(m.apiKey, '/v1/events?type=order.authorized');
    expect(typed.json.data.map((e) => e.id)).toEqual([first.id]);

    // Another merchant sees none of them; after 30 days they are gone.
    const other = await merchant('Other');
    expect((await get(other.apiKey, `/v1/events/${first.id}`)).status).toBe(404);
    expect((await get<{ data: Json[] }>(other.apiKey, '/v1/events')).json.data).toEqual([]);
    clock.set(new Date(T0.getTime() + 31 * 86_400_000));
    expect((await get(m.apiKey, `/v1/events/${first.id}`)).status).toBe(404);
  });

  it('test event, disable, delete', async () => {
    const m = await merchant();
    const endpoint = await post<Json & { id: string; secret: string }>(m.apiKey, '/v1/webhook-endpoints', {
      url: `${base}/test`,
      enabledEvents: ['order.paid_off'],
    });
    const other = await post<Json & { id: string }>(m.apiKey, '/v1/webhook-endpoints', {
      url: `${base}/other`,
    });
    const test = await post<Json & { id: string; type: string }>(
      m.apiKey,
      `/v1/webhook-endpoints/${endpoint.json.id}/test`,
    );
    expect(test.status, test.text).toBe(201);
    expect(test.json.type).toBe('webhook.test');
    await deliverPendingNow();
    // Sent to that endpoint only, though it does not subscribe to webhook.test and the other takes `*`.
    expect(received.map((r) => r.path)).toEqual(['/test']);
    expect(
      verifyWebhook(
        received[0]?.body ?? '',
        received[0]?.headers['tessera-signature'],
        endpoint.json.secret,
        { now: clock.now() },
      ).id,
    ).toBe(test.json.id);

    const disabled = await post(m.apiKey, `/v1/webhook-endpoints/${endpoint.json.id}`, {
      status: 'disabled',
    });
    expect(disabled.json).toMatchObject({ status: 'disabled' });
    const refused = await post<{ error: Json }>(m.apiKey, `/v1/webhook-endpoints/${endpoint.json.id}/test`);
    expect([refused.status, refused.json.error.code]).toEqual([422, 'webhook_endpoint_disabled']);
    received.length = 0;
    await emit(m.id, 'order.paid_off');
    await deliverPendingNow();
    expect(received.map((r) => r.path)).toEqual(['/other']);

    const deleted = await app.call<Json>('DELETE', `/v1/webhook-endpoints/${other.json.id}`, {
      auth: m.apiKey,
    });
    expect(deleted.json).toMatchObject({ id: other.json.id, deleted: true });
    expect((await get(m.apiKey, `/v1/webhook-endpoints/${other.json.id}`)).status).toBe(404);
    const listed = await get<{ data: Json[] }>(m.apiKey, '/v1/webhook-endpoints');
    expect(listed.json.data.map((e) => e.id)).toEqual([endpoint.json.id]);
    // Another merchant cannot touch it.
    const stranger = await merchant('Stranger');
    const foreign = await app.call('DELETE', `/v1/webhook-endpoints/${endpoint.json.id}`, {
      auth: stranger.apiKey,
    });
    expect(foreign.status).toBe(404);
  });

  it('bad input to every new webhook route: a clear 4xx, nothing written', async () => {
    const m = await merchant();
    const endpoint = await post<Json & { id: string }>(m.apiKey, '/v1/webhook-endpoints', {
      url: `${base}/x`,
    });
    const before = await snapshot();
    const missing = 'we_01JNJ3Y7ZQ8M4N5P6Q7R8S9T0V';
    for (const [method, path, body, status, param] of [
      [
        'POST',
        '/v1/webhook-endpoints',
        { url: `${base}/y`, enabledEvents: ['order.nope'] },
        400,
        'enabledEvents.0',
      ],
      ['POST', '/v1/webhook-endpoints', { url: `${base}/y`, enabledEvents: [] }, 400, 'enabledEvents'],
      [
        'POST',
        '/v1/webhook-endpoints',
        { url: `${base}/y`, enabledEvents: ['*', '*'] },
        400,
        'enabledEvents',
      ],
      [
        'POST',
        '/v1/webhook-endpoints',
        { url: `${base}/y`, enabledEvents: ['webhook.test'] },
        400,
        'enabledEvents.0',
      ],
      ['POST', `/v1/webhook-endpoints/${endpoint.json.id}`, {}, 400, undefined],
      ['POST', `/v1/webhook-endpoints/${endpoint.json.id}`, { status: 'paused' }, 400, 'status'],
      ['POST', `/v1/webhook-endpoints/${missing}`, { status: 'disabled' }, 404, 'id'],
      ['POST', '/v1/webhook-endpoints/not-an-id', { status: 'disabled' }, 400, 'id'],
      ['POST', `/v1/webhook-endpoints/${missing}/test`, undefined, 404, 'id'],
      ['DELETE', `/v1/webhook-endpoints/${missing}`, undefined, 404, 'id'],
      ['GET', '/v1/events?limit=0', undefined, 400, 'limit'],
      ['GET', '/v1/events?startingAfter=evt_x', undefined, 400, 'startingAfter'],
      ['GET', '/v1/events?type=nope', undefined, 400, 'type'],
      ['GET', '/v1/events/evt_01JNJ3Y7ZQ8M4N5P6Q7R8S9T0V', undefined, 404, 'id'],
    ] as const) {
      const res =
        method === 'POST'
          ? await post<{ error: Json }>(m.apiKey, path, body)
          : await app.call<{ error: Json }>(method, path, { auth: m.apiKey });
      expect([res.status, res.json.error?.param], `${method} ${path} ${res.text}`).toEqual([status, param]);
    }
    expect(await snapshot()).toBe(before);
  });
});
