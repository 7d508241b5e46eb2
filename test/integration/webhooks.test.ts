import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { verifyWebhook } from '../../examples/verify-webhook.ts';
import { fixedClock, setClock } from '../../functions/lib/clock.ts';
import { resetConfig } from '../../functions/lib/config.ts';
import { ddb, resetDdb } from '../../functions/lib/dynamodb.ts';
import { newId } from '../../functions/lib/ids.ts';
import { setKeyService } from '../../functions/lib/key-service.ts';
import { deliverDue, deliverPendingNow } from '../../functions/webhooks/delivery.ts';
import { listEndpointRecords } from '../../functions/webhooks/endpoint-store.ts';
import { prepareEndpointRegistration } from '../../functions/webhooks/endpoints.ts';
import { type WebhookEventType, webhookEvent } from '../../functions/webhooks/events.ts';
import { deliverWebhooks } from '../../functions/webhooks/job.ts';
import { listDeliveries, prepareRequeue } from '../../functions/webhooks/service.ts';
import {
  claimDelivery,
  type DeliveryRecord,
  finishAttempt,
  getDelivery,
  listObjectEvents,
} from '../../functions/webhooks/store.ts';
import { createTables, tableEnv } from '../../infra/local/bootstrap-tables.ts';
import { createActiveMerchant } from '../support/merchants.ts';

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A merchant's receiver on loopback: records every request and answers with `status`. */
async function startReceiver() {
  const received: Received[] = [];
  const state = { status: 200, delayMs: 0, location: '' };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const reply = () => {
        if (state.location) res.setHeader('Location', state.location);
        res.writeHead(state.status, { 'Content-Type': 'text/plain' }).end('ok');
      };
      if (state.delayMs > 0) setTimeout(reply, state.delayMs);
      else reply();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    received,
    state,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

let receiver: Awaited<ReturnType<typeof startReceiver>>;
const T0 = new Date('2026-03-01T12:00:00.000Z');
const clock = fixedClock(T0);

beforeAll(async () => {
  const prefix = `w${randomBytes(4).toString('hex')}-`;
  const endpoint = inject('dynamodbEndpoint');
  Object.assign(process.env, tableEnv(prefix), {
    DYNAMODB_ENDPOINT: endpoint,
    TESSERA_LOCAL: '1',
    TESSERA_DATA_DIR: mkdtempSync(join(tmpdir(), 'tessera-webhooks-')),
  });
  resetConfig();
  resetDdb();
  setKeyService(undefined);
  await createTables(new DynamoDBClient({ endpoint, region: 'us-east-1' }), prefix);
  receiver = await startReceiver();
});

afterAll(async () => {
  setClock(undefined);
  await receiver?.close();
});

beforeEach(() => {
  clock.set(T0);
  setClock(clock);
  receiver.received.length = 0;
  Object.assign(receiver.state, { status: 200, delayMs: 0, location: '' });
});

afterEach(async () => {
  delete process.env.WEBHOOK_MAX_ATTEMPTS;
  // Drain whatever a test left queued, so the next test's runs see only their own deliveries.
  Object.assign(receiver.state, { status: 200, delayMs: 0, location: '' });
  await deliverPendingNow({
    now: new Date(T0.getTime() + 365 * 86_400_000),
    policy: { maxAttempts: 1, timeoutMs: 500 },
  });
});

async function merchantWithEndpoint(url = receiver.url) {
  const merchant = await createActiveMerchant({ name: 'Hooks' }, clock);
  const secret = await register(merchant.id, url);
  return { merchantId: merchant.id, secret };
}

async function register(merchantId: string, url: string) {
  const { items, response } = await prepareEndpointRegistration(merchantId, { url }, clock);
  await ddb().send(new TransactWriteCommand({ TransactItems: items }));
  return response.secret;
}

/** What the orders capability does: the event items ride in the transaction of the order change. */
async function emit(merchantId: string, sequence = 1, type: WebhookEventType = 'order.authorized') {
  const objectId = `ord_${'0'.repeat(25)}${sequence % 10}`;
  const { event, items } = webhookEvent(
    { merchantId, type, objectId, sequence, data: { id: objectId, version: sequence } },
    clock,
  );
  await ddb().send(new TransactWriteCommand({ TransactItems: items }));
  return event;
}

async function delivery(id: string): Promise<DeliveryRecord> {
  const record = await getDelivery(id);
  if (!record) throw new Error(`no delivery ${id}`);
  return record;
}

describe('delivery to a receiver that answers 200', () => {
  it('sends exactly one request, signed, with the event id header; later runs send nothing', async () => {
    const { merchantId, secret } = await merchantWithEndpoint();
    const event = await emit(merchantId);

    const run = await deliverWebhooks({});
    expect(run).toMatchObject({ delivered: 1, retried: 0, dead: 0 });
    expect(receiver.received).toHaveLength(1);
    const [request] = receiver.received;
    expect(request?.headers['tessera-event-id']).toBe(event.id);
    expect(request?.headers['content-type']).toMatch(/^application\/json/);
    const verified = verifyWebhook(request?.body ?? '', request?.headers['tessera-signature'], secret, {
      now: clock.now(),
    });
    expect(verified).toEqual(event);
    expect(request?.headers['tessera-signature']).toMatch(
      new RegExp(`^t=${Math.floor(T0.getTime() / 1000)},v1=[0-9a-f]{64}$`),
    );

    expect(await delivery(event.id)).toMatchObject({
      status: 'delivered',
      attempts: 1,
      lastStatusCode: 200,
      deliveredAt: T0.toISOString(),
    });

    // Days later, many runs: nothing is ever sent again.
    for (const hours of [0, 1, 24, 72]) {
      clock.set(new Date(T0.getTime() + hours * 3600_000));
      await deliverWebhooks({});
    }
    expect(receiver.received).toHaveLength(1);
  });

  it('concurrent runs: every event is delivered exactly once (the conditional claim)', async () => {
    const { merchantId } = await merchantWithEndpoint();
    const events = [];
    for (let i = 1; i <= 6; i++) events.push(await emit(merchantId, i));
    receiver.state.delayMs = 50; // keeps the runs overlapping in time

    const runs = await Promise.all(Array.from({ length: 8 }, () => deliverDue({})));
    const ids = receiver.received.map((r) => r.headers['tessera-event-id']);
    for (const event of events)
      expect(
        ids.filter((id) => id === event.id),
        event.id,
      ).toHaveLength(1);
    expect(runs.reduce((sum, r) => sum + r.delivered, 0)).toBe(6);
    expect(runs.reduce((sum, r) => sum + r.contended, 0)).toBeGreaterThan(0);
    for (const event of events) expect((await delivery(event.id)).status).toBe('delivered');
  });

  it("an order's events carry increasing sequences; receivers can order them", async () => {
    const { merchantId } = await merchantWithEndpoint();
    const types: WebhookEventType[] = ['order.authorized', 'order.captured', 'order.refunded'];
    const orderId = newId('order');
    for (const [i, type] of types.entries()) {
      clock.set(new Date(T0.getTime() + i * 1000));
      const { items } = webhookEvent(
        { merchantId, type, objectId: orderId, sequence: i + 1, data: { id: orderId, version: i + 1 } },
        clock,
      );
      await ddb().send(new TransactWriteCommand({ TransactItems: items }));
    }
    const events = await listObjectEvents(orderId);
    expect(events.map((e) => [e.sequence, e.eventType])).toEqual([
      [1, 'order.authorized'],
      [2, 'order.captured'],
      [3, 'order.refunded'],
    ]);

    await deliverPendingNow();
    const forOrder = receiver.received
      .map((r) => JSON.parse(r.body) as { objectId: string; sequence: number })
      .filter((e) => e.objectId === orderId);
    expect(forOrder.map((e) => e.sequence).sort()).toEqual([1, 2, 3]);
  });
});

describe('delivery to a receiver that answers 500', () => {
  it('retries on the backoff schedule and ends dead (the DLQ), listed for operators', async () => {
    process.env.WEBHOOK_MAX_ATTEMPTS = '5';
    receiver.state.status = 500;
    const { merchantId, secret } = await merchantWithEndpoint();
    const event = await emit(merchantId);

    // Attempt 1 now; then each retry is due base·2^(n-1) ±10% after the previous attempt.
    await deliverWebhooks({});
    const gaps: number[] = [];
    for (let attempt = 2; attempt <= 5; attempt++) {
      const before = await delivery(event.id);
      expect(before).toMatchObject({ status: 'pending', attempts: attempt - 1, lastStatusCode: 500 });
      const due = new Date(before.nextAttemptAt ?? '');
      const nominal = 60_000 * 2 ** (attempt - 2);
      const gap = due.getTime() - clock.now().getTime();
      gaps.push(gap);
      expect(gap).toBeGreaterThanOrEqual(nominal * 0.9);
      expect(gap).toBeLessThanOrEqual(nominal * 1.1);

      // A millisecond early: not due, nothing sent.
      clock.set(new Date(due.getTime() - 1));
      expect((await deliverWebhooks({})).due).toBe(0);
      expect(receiver.received).toHaveLength(attempt - 1);

      clock.set(due);
      expect(await deliverWebhooks({})).toMatchObject({ due: 1 });
      expect(receiver.received).toHaveLength(attempt);
    }
    expect(gaps).toHaveLength(4);

    const dead = await delivery(event.id);
    expect(dead).toMatchObject({ status: 'dead', attempts: 5, lastStatusCode: 500, lastError: 'HTTP 500' });
    expect(dead.nextAttemptAt).toBeUndefined();

    // Every attempt was signed afresh and verifies at its own time; the body never changed.
    expect(new Set(receiver.received.map((r) => r.body)).size).toBe(1);
    expect(receiver.received.map((r) => r.headers['tessera-delivery-attempt'])).toEqual([
      '1',
      '2',
      '3',
      '4',
      '5',
    ]);
    const last = receiver.received[4];
    expect(
      verifyWebhook(last?.body ?? '', last?.headers['tessera-signature'], secret, { now: clock.now() }).id,
    ).toBe(event.id);

    // Dead is final: no more attempts, ever.
    clock.set(new Date(clock.now().getTime() + 7 * 86_400_000));
    await deliverWebhooks({});
    expect(receiver.received).toHaveLength(5);

    const listed = await listDeliveries({ status: 'dead', limit: 100 });
    expect(listed.data.find((d) => d.id === event.id)).toMatchObject({
      status: 'dead',
      attempts: 5,
      merchantId,
      eventType: 'order.authorized',
    });

    // An operator requeues it once the receiver is fixed: delivered, and off the dead list.
    receiver.state.status = 204;
    const { items } = await prepareRequeue(event.id, 'arn:aws:iam::000000000000:user/ops', clock);
    await ddb().send(new TransactWriteCommand({ TransactItems: items }));
    expect(await deliverWebhooks({})).toMatchObject({ delivered: 1 });
    expect(await delivery(event.id)).toMatchObject({ status: 'delivered', attempts: 1, lastStatusCode: 204 });
    expect((await listDeliveries({ status: 'dead', limit: 100 })).data.map((d) => d.id)).not.toContain(
      event.id,
    );
  });

  it('a redirect and a timeout are failures too', async () => {
    const { merchantId } = await merchantWithEndpoint();
    receiver.state.status = 302;
    receiver.state.location = 'http://127.0.0.1:1/elsewhere';
    const redirected = await emit(merchantId);
    await deliverWebhooks({});
    expect(await delivery(redirected.id)).toMatchObject({ status: 'pending', lastStatusCode: 302 });
    expect(receiver.received).toHaveLength(1);

    Object.assign(receiver.state, { status: 200, location: '', delayMs: 1_000 });
    const slow = await emit(merchantId, 2);
    clock.set(new Date(T0.getTime() + 30_000)); // the redirected one is not due yet
    await deliverDue({ policy: { timeoutMs: 200 } });
    const record = await delivery(slow.id);
    expect(record).toMatchObject({ status: 'pending', lastError: 'timeout after 200 ms' });
    expect(record.lastStatusCode).toBeUndefined();
  });

  it('a network error (nothing listening) is retried', async () => {
    // A port that was free a moment ago: the connection is refused.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', () => resolve()));
    const { port } = probe.address() as AddressInfo;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const { merchantId } = await merchantWithEndpoint(`http://127.0.0.1:${port}/hooks`);
    const event = await emit(merchantId);
    await deliverWebhooks({});
    expect(await delivery(event.id)).toMatchObject({
      status: 'pending',
      attempts: 1,
      lastError: 'network error: ECONNREFUSED',
    });
  });
});

describe('leases and skips', () => {
  it('a worker that died mid-attempt: the lease expires, the delivery is sent again, the stale worker loses', async () => {
    const { merchantId } = await merchantWithEndpoint();
    const event = await emit(merchantId);
    const stale = await claimDelivery(event.id, T0, new Date(T0.getTime() + 30_000), 'dead-worker');
    expect(stale?.status).toBe('delivering');

    expect(await deliverWebhooks({})).toMatchObject({ due: 0 }); // in-flight, lease not expired
    expect(receiver.received).toHaveLength(0);

    clock.set(new Date(T0.getTime() + 30_001));
    expect(await deliverWebhooks({})).toMatchObject({ delivered: 1 });
    expect(await delivery(event.id)).toMatchObject({ status: 'delivered', attempts: 2 });

    // The dead worker wakes up and tries to record a failure: refused, delivered stays.
    const late = await finishAttempt(
      stale as DeliveryRecord,
      'dead-worker',
      { kind: 'dead', error: 'late' },
      clock.now(),
    );
    expect(late).toBe(false);
    expect((await delivery(event.id)).status).toBe('delivered');
  });

  it('no webhook URL at delivery time: skipped (not lost), listed, and redeliverable once registered', async () => {
    const merchant = await createActiveMerchant({ name: 'No hooks' }, clock);
    const event = await emit(merchant.id);
    expect(await deliverWebhooks({})).toMatchObject({ skipped: 1 });
    expect(await delivery(event.id)).toMatchObject({
      status: 'skipped',
      skippedReason: 'no_endpoint',
      attempts: 0,
    });
    expect(receiver.received).toHaveLength(0);

    const listed = await listDeliveries({ status: 'skipped', merchantId: merchant.id, limit: 10 });
    expect(listed.data.map((d) => d.id)).toEqual([event.id]);

    const secret = await register(merchant.id, receiver.url);
    const { items } = await prepareRequeue(event.id, 'arn:ops', clock);
    await ddb().send(new TransactWriteCommand({ TransactItems: items }));
    await deliverWebhooks({});
    const [request] = receiver.received;
    expect(
      verifyWebhook(request?.body ?? '', request?.headers['tessera-signature'], secret, { now: T0 }).id,
    ).toBe(event.id);
  });

  it('a URL set at merchant creation is not an endpoint: skipped as no_endpoint until one is registered', async () => {
    const merchant = await createActiveMerchant({ name: 'Old style', webhookUrl: receiver.url }, clock);
    const event = await emit(merchant.id);
    await deliverWebhooks({});
    expect(await delivery(event.id)).toMatchObject({
      status: 'skipped',
      skippedReason: 'no_endpoint',
    });
    expect(receiver.received).toHaveLength(0);
  });
});

describe('the endpoint secret', () => {
  it('is stored encrypted, never in plaintext', async () => {
    const { merchantId, secret } = await merchantWithEndpoint();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(secret.slice(6), 'base64url')).toHaveLength(32);
    const [endpoint] = await listEndpointRecords(merchantId);
    expect(endpoint?.url).toBe(receiver.url);
    expect(typeof endpoint?.secretCiphertext).toBe('string');
    expect(JSON.stringify(endpoint)).not.toContain(secret);
    expect(JSON.stringify(endpoint)).not.toContain(secret.slice(6));
  });

  it('rotation: for 24 h both secrets sign (two v1), then only the new one', async () => {
    const { merchantId, secret: oldSecret } = await merchantWithEndpoint();
    const newSecret = await register(merchantId, receiver.url);
    expect(newSecret).not.toBe(oldSecret);

    await emit(merchantId);
    await deliverWebhooks({});
    const first = receiver.received[0];
    const header = String(first?.headers['tessera-signature']);
    expect(header.match(/v1=/g)).toHaveLength(2);
    for (const s of [oldSecret, newSecret]) {
      expect(verifyWebhook(first?.body ?? '', header, s, { now: clock.now() }).object).toBe('event');
    }

    clock.set(new Date(T0.getTime() + 86_400_000 + 1));
    await emit(merchantId, 2);
    await deliverWebhooks({});
    const second = receiver.received[1];
    expect(String(second?.headers['tessera-signature']).match(/v1=/g)).toHaveLength(1);
    expect(() =>
      verifyWebhook(second?.body ?? '', second?.headers['tessera-signature'], oldSecret, {
        now: clock.now(),
      }),
    ).toThrow();
    expect(
      verifyWebhook(second?.body ?? '', second?.headers['tessera-signature'], newSecret, { now: clock.now() })
        .sequence,
    ).toBe(2);
  });

  it('concurrent rotations of one endpoint: one wins, the other loses its condition', async () => {
    const { merchantId } = await merchantWithEndpoint();
    const a = await prepareEndpointRegistration(merchantId, { url: receiver.url }, clock);
    const b = await prepareEndpointRegistration(merchantId, { url: receiver.url }, clock);
    await ddb().send(new TransactWriteCommand({ TransactItems: a.items }));
    await expect(ddb().send(new TransactWriteCommand({ TransactItems: b.items }))).rejects.toMatchObject({
      name: 'TransactionCanceledException',
    });
  });
});
