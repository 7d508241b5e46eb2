import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it, vi } from 'vitest';
import { fixedClock, setClock } from '../../functions/lib/clock.ts';
import { resetConfig } from '../../functions/lib/config.ts';
import { ddb, resetDdb } from '../../functions/lib/dynamodb.ts';
import { keyService, setKeyService } from '../../functions/lib/key-service.ts';
import { logger } from '../../functions/lib/logger.ts';
import { setResolver } from '../../functions/lib/outbound.ts';
import { deliverDue } from '../../functions/webhooks/delivery.ts';
import { prepareEndpointRegistration } from '../../functions/webhooks/endpoints.ts';
import { webhookEvent } from '../../functions/webhooks/events.ts';
import { getDelivery } from '../../functions/webhooks/store.ts';
import { createTables, tableEnv } from '../../infra/local/bootstrap-tables.ts';
import { rebindingResolver, tableResolver, testDefaultResolver } from '../support/dns.ts';
import { createActiveMerchant } from '../support/merchants.ts';

/**
 * The address a delivery connects to is checked at every attempt (functions/lib/outbound.ts), with
 * a resolver the test controls. The receiver counts TCP connections, so "refused before connecting"
 * is observed, not inferred from an error string.
 */
const T0 = new Date('2026-03-01T12:00:00.000Z');
const clock = fixedClock(T0);
const requests: IncomingHttpHeaders[] = [];
let connections = 0;
const server = createServer((req, res) => {
  requests.push(req.headers);
  req.resume();
  req.on('end', () => res.writeHead(200).end('ok'));
});
server.on('connection', () => {
  connections += 1;
});
let port = 0;

beforeAll(async () => {
  const prefix = `a${randomBytes(4).toString('hex')}-`;
  const endpoint = inject('dynamodbEndpoint');
  Object.assign(process.env, tableEnv(prefix), {
    DYNAMODB_ENDPOINT: endpoint,
    TESSERA_LOCAL: '1',
    TESSERA_DATA_DIR: mkdtempSync(join(tmpdir(), 'tessera-webhooks-address-')),
  });
  resetConfig();
  resetDdb();
  setKeyService(undefined);
  keyService(); // the local key service, kept when a test switches to the AWS rules
  await createTables(new DynamoDBClient({ endpoint, region: 'us-east-1' }), prefix);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  setClock(undefined);
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  clock.set(T0);
  setClock(clock);
  requests.length = 0;
  connections = 0;
});

afterEach(() => {
  setResolver(testDefaultResolver);
  process.env.TESSERA_LOCAL = '1';
  delete process.env.WEBHOOK_MAX_ATTEMPTS;
  resetConfig();
  vi.restoreAllMocks();
});

/** A merchant with `url` registered (and checked) under the current mode, and one event queued. */
async function endpointWithEvent(url: string) {
  const merchant = await createActiveMerchant({ name: 'Hooks' }, clock);
  const { items } = await prepareEndpointRegistration(merchant.id, { url }, clock);
  await ddb().send(new TransactWriteCommand({ TransactItems: items }));
  const objectId = `ord_${'0'.repeat(25)}1`;
  const { event, items: eventItems } = webhookEvent(
    { merchantId: merchant.id, type: 'order.authorized', objectId, sequence: 1, data: { id: objectId } },
    clock,
  );
  await ddb().send(new TransactWriteCommand({ TransactItems: eventItems }));
  return event.id;
}

describe('the address a delivery connects to', () => {
  it('DNS rebinding (public at registration, 127.0.0.1 at delivery) in AWS: refused before connecting, retried, then dead', async () => {
    process.env.TESSERA_LOCAL = '0';
    process.env.WEBHOOK_MAX_ATTEMPTS = '2';
    resetConfig();
    const resolver = rebindingResolver('rebind.test', '93.184.215.14', '127.0.0.1');
    setResolver(resolver);
    const warn = vi.spyOn(logger, 'warn');

    const id = await endpointWithEvent(`https://rebind.test:${port}/hooks?token=s3cr3t-in-query`);
    expect(resolver.asked).toHaveLength(1); // registration saw the public answer and accepted

    expect(await deliverDue({})).toMatchObject({ retried: 1, delivered: 0 });
    expect(resolver.asked).toHaveLength(2); // delivery resolved again, and got 127.0.0.1
    const first = await getDelivery(id);
    expect(first).toMatchObject({
      status: 'pending',
      attempts: 1,
      lastError: 'address not allowed: 127.0.0.1 (loopback (RFC 1122))',
    });
    expect(connections).toBe(0);

    // The same failure under the usual rules: the last attempt makes it dead.
    clock.set(new Date(first?.nextAttemptAt ?? ''));
    expect(await deliverDue({})).toMatchObject({ dead: 1 });
    expect(await getDelivery(id)).toMatchObject({ status: 'dead', attempts: 2 });
    expect(connections).toBe(0);

    // Logged with the origin and the refused address, never the URL's path or query.
    const logged = JSON.stringify(warn.mock.calls);
    expect(logged).toContain(`https://rebind.test:${port}`);
    expect(logged).toContain('address not allowed: 127.0.0.1');
    expect(logged).not.toContain('s3cr3t');
    expect(logged).not.toContain('/hooks');
  });

  it('a name whose every answer is public still connects only to the address checked, naming the host', async () => {
    // Locally (loopback allowed), a name that resolves to the receiver's loopback address.
    const resolver = tableResolver({ localhost: ['127.0.0.1'] });
    setResolver(resolver);
    const id = await endpointWithEvent(`http://localhost:${port}/hooks`);
    expect(await deliverDue({})).toMatchObject({ delivered: 1 });
    expect(await getDelivery(id)).toMatchObject({ status: 'delivered', lastStatusCode: 200 });
    expect(requests.map((h) => h.host)).toEqual([`localhost:${port}`]);
    expect(resolver.asked).toEqual(['localhost', 'localhost']); // registration, then the delivery
  });

  it('locally, a name that rebinds to the metadata address is refused too (only loopback is exempt)', async () => {
    setResolver(rebindingResolver('localhost', '127.0.0.1', '169.254.169.254'));
    const id = await endpointWithEvent(`http://localhost:${port}/hooks`);
    expect(await deliverDue({})).toMatchObject({ retried: 1 });
    expect(await getDelivery(id)).toMatchObject({
      lastError: 'address not allowed: 169.254.169.254 (link local (RFC 3927))',
    });
    expect(connections).toBe(0);
  });

  it('registration in AWS refuses a name that resolves to a special-purpose address (the issue example)', async () => {
    process.env.TESSERA_LOCAL = '0';
    resetConfig();
    setResolver(tableResolver({ 'localtest.me': ['127.0.0.1'] }));
    const merchant = await createActiveMerchant({ name: 'Probe' }, clock);
    await expect(
      prepareEndpointRegistration(merchant.id, { url: 'https://localtest.me/' }, clock),
    ).rejects.toMatchObject({
      status: 422,
      code: 'webhook_url_forbidden',
      param: 'url',
    });
    await expect(
      createActiveMerchant({ name: 'Probe 2', webhookUrl: 'https://localtest.me/' }, clock),
    ).rejects.toMatchObject({ status: 422, code: 'webhook_url_forbidden', param: 'webhookUrl' });
  });
});
