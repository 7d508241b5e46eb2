import 'aws-sdk-client-mock-vitest/extend';
import { GenerateDataKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { setKeyService } from '../../functions/lib/key-service.ts';
import { KmsKeyService } from '../../functions/lib/key-service-kms.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { registerCustomer, stepUp } from '../support/customers.ts';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app?.close();
});
afterEach(() => {
  setKeyService(undefined);
});

interface Card {
  token: string;
  brand: string;
  last4: string;
  expMonth: number;
  expYear: number;
}

const BRANDS = [
  ['4242424242424242', 'visa'],
  ['5555555555554444', 'mastercard'],
  ['2223003122003222', 'mastercard'],
  ['378282246310005', 'amex'],
  ['6011111111111117', 'discover'],
  ['3056930009020004', 'diners'],
  ['3566002020360505', 'jcb'],
  ['6200000000000005', 'unionpay'],
] as const;

const cvcFor = (number: string) => (/^3[47]/.test(number) ? '7391' : '739');
const body = (number: string, overrides: Record<string, unknown> = {}) => ({
  number,
  expMonth: 11,
  expYear: 2033,
  cvc: cvcFor(number),
  ...overrides,
});

const addCard = (session: string, payload: unknown, stepUpToken?: string) =>
  app.call<Card>('POST', '/v1/me/cards', {
    auth: session,
    body: payload,
    ...(stepUpToken ? { headers: { 'Step-Up-Token': stepUpToken } } : {}),
  });

async function newCustomer() {
  const customer = await registerCustomer(app);
  return { ...customer, session: customer.sessionToken };
}

/** Account monitoring's own records: an assessment and its counters are written for every attempt. */
const MONITORING_TYPES = new Set(['riskAggregate', 'riskDecision', 'flag', 'flagKey', 'riskState']);

/** Every table without monitoring's records: what "nothing written" means for the card data. */
async function cardData() {
  const tables = await app.scanAll();
  return Object.fromEntries(
    Object.entries(tables).map(([name, items]) => [
      name,
      items.filter((item) => !MONITORING_TYPES.has(String(item.type))),
    ]),
  );
}

describe('POST /v1/me/cards: brand and validation vectors over HTTP', () => {
  it.each(BRANDS)('%s is saved as %s, showing only brand, last 4 and expiry', async (number, brand) => {
    const { session } = await newCustomer();
    const res = await addCard(session, body(number), await stepUp(app, session, 'add_card'));
    expect(res.status).toBe(201);
    expect(res.json).toEqual({
      token: expect.stringMatching(/^tok_[0-9A-Z]{26}$/),
      brand,
      last4: number.slice(-4),
      expMonth: 11,
      expYear: 2033,
    });
    expect(res.text).not.toContain(number);
    expect(res.text).not.toContain(number.slice(0, 6));
  });

  const invalid: Array<[string, Record<string, unknown>, string, string]> = [
    ['a bad Luhn digit', body('4242424242424241'), 'number', 'invalid_number'],
    ['a wrong length for the brand', body('42424242424242'), 'number', 'invalid_number'],
    ['an expired card', body('4242424242424242', { expMonth: 1, expYear: 2020 }), 'expYear', 'expired_card'],
    ['letters', body('4242abcd42424242'), 'number', 'invalid_number'],
    ['spaces', body('4242 4242 4242 4242'), 'number', 'invalid_number'],
    ['a 25-digit string', body('4242424242424242424242424'), 'number', 'invalid_number'],
    ['an Amex number with a 3-digit CVC', body('378282246310005', { cvc: '739' }), 'cvc', 'invalid_cvc'],
    ['a month of 13', body('4242424242424242', { expMonth: 13 }), 'expMonth', 'invalid_expiry_month'],
  ];

  it('refuses each invalid card with 422 naming the field, writes nothing, and leaves the step-up unused', async () => {
    const { session } = await newCustomer();
    const token = await stepUp(app, session, 'add_card');
    const before = await cardData();
    for (const [label, payload, param, code] of invalid) {
      const res = await addCard(session, payload, token);
      expect({ label, status: res.status, error: res.json }).toEqual({
        label,
        status: 422,
        error: {
          error: expect.objectContaining({
            type: 'invalid_request_error',
            code,
            param,
            requestId: expect.any(String),
          }),
        },
      });
      // The number is never echoed, whole or in part beyond the last 4.
      expect(res.text).not.toContain(String(payload.number));
      expect(res.text).not.toContain(String(payload.number).slice(0, 8));
    }
    expect(await cardData()).toEqual(before);
    // The same step-up still works: refused requests did not use it up.
    expect((await addCard(session, body('4242424242424242'), token)).status).toBe(201);
  });

  it('takes the number only as a string: a JSON number (which loses precision) is a 400', async () => {
    const { session } = await newCustomer();
    const token = await stepUp(app, session, 'add_card');
    const res = await app.call('POST', '/v1/me/cards', {
      auth: session,
      rawBody: '{"number":4242424242424242,"expMonth":11,"expYear":2033,"cvc":"739"}',
      headers: { 'Step-Up-Token': token, 'Content-Type': 'application/json' },
    });
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({ error: { code: 'parameter_invalid', param: 'number' } });
    expect(res.text).not.toContain('4242424242424242');
    const unknown = await addCard(session, { ...body('4242424242424242'), pan: '4242424242424242' }, token);
    expect(unknown.status).toBe(400);
    expect(unknown.json).toMatchObject({ error: { code: 'parameter_unknown', param: 'pan' } });
    expect(unknown.text).not.toContain('4242424242424242');
  });
});

describe('step-up and sessions', () => {
  it('needs a session (401) and a step-up for add_card (403), and the step-up is single-use', async () => {
    const { session } = await newCustomer();
    expect((await app.call('POST', '/v1/me/cards', { body: body('4242424242424242') })).status).toBe(401);
    const before = await app.scanAll();
    const missing = await addCard(session, body('4242424242424242'));
    expect(missing.status).toBe(403);
    expect(missing.json).toMatchObject({ error: { code: 'step_up_required' } });
    expect((await addCard(session, body('4242424242424242'), 'not.a.token')).json).toMatchObject({
      error: { code: 'step_up_invalid' },
    });
    // Nothing written but the two refusals' audit items (gate.step_up, step-up-gate.ts).
    const after = await app.scanAll();
    const refusals = (after.main ?? []).filter((i) => i.action === 'gate.step_up');
    expect(refusals.map((i) => [i.reason, (i.metadata as { check: string }).check])).toEqual([
      ['step_up_required', 'missing'],
      ['step_up_invalid', 'signature_or_expiry'],
    ]);
    expect({ ...after, main: (after.main ?? []).filter((i) => !refusals.includes(i)) }).toEqual(before);

    const token = await stepUp(app, session, 'add_card');
    expect((await addCard(session, body('4242424242424242'), token)).status).toBe(201);
    const replay = await addCard(session, body('5555555555554444'), token);
    expect(replay.status).toBe(403);
    expect(replay.json).toMatchObject({ error: { code: 'step_up_invalid' } });
  });

  it("refuses another customer's step-up token", async () => {
    const alice = await newCustomer();
    const bob = await newCustomer();
    const bobs = await stepUp(app, bob.session, 'add_card');
    const res = await addCard(alice.session, body('4242424242424242'), bobs);
    expect(res.status).toBe(403);
    expect(res.json).toMatchObject({ error: { code: 'step_up_invalid' } });
  });
});

describe('duplicates, listing and deleting over HTTP', () => {
  it('the same card again returns the existing token with 200; list, delete (crypto-shred), 404 after', async () => {
    const alice = await newCustomer();
    const first = await addCard(
      alice.session,
      body('5555555555554444'),
      await stepUp(app, alice.session, 'add_card'),
    );
    expect(first.status).toBe(201);
    const cardsBefore = (await app.scanAll()).vault?.length;
    const again = await addCard(
      alice.session,
      body('5555555555554444'),
      await stepUp(app, alice.session, 'add_card'),
    );
    expect(again.status).toBe(200);
    expect(again.json).toEqual(first.json);
    expect((await app.scanAll()).vault?.length).toBe(cardsBefore);

    const other = await addCard(
      alice.session,
      body('378282246310005'),
      await stepUp(app, alice.session, 'add_card'),
    );
    const list = await app.call<{ object: string; data: Card[]; hasMore: boolean }>('GET', '/v1/me/cards', {
      auth: alice.session,
    });
    expect(list.status).toBe(200);
    expect(list.json.object).toBe('list');
    expect(list.json.hasMore).toBe(false);
    expect(list.json.data.map((c) => c.token).sort()).toEqual([first.json.token, other.json.token].sort());
    const paged = await app.call<{ data: Card[]; hasMore: boolean }>('GET', '/v1/me/cards?limit=1', {
      auth: alice.session,
    });
    expect(paged.json).toMatchObject({ hasMore: true, data: [expect.any(Object)] });

    // Another customer sees none of it and cannot delete it.
    const bob = await newCustomer();
    expect(
      (await app.call<{ data: Card[] }>('GET', '/v1/me/cards', { auth: bob.session })).json.data,
    ).toEqual([]);
    const foreign = await app.call('DELETE', `/v1/me/cards/${first.json.token}`, { auth: bob.session });
    expect(foreign.status).toBe(404);
    expect(foreign.json).toMatchObject({ error: { code: 'resource_missing' } });

    const deleted = await app.call('DELETE', `/v1/me/cards/${first.json.token}`, { auth: alice.session });
    expect(deleted.status).toBe(200);
    expect(deleted.json).toEqual({ token: first.json.token, deleted: true });
    const record = (await app.scanAll()).vault?.find((i) => i.pk === `TOKEN#${first.json.token}`);
    expect(record).toMatchObject({ status: 'deleted' });
    for (const field of ['ciphertext', 'wrappedKey', 'iv', 'tag', 'fingerprintId', 'last4']) {
      expect(record).not.toHaveProperty(field);
    }
    expect(
      (await app.call('DELETE', `/v1/me/cards/${first.json.token}`, { auth: alice.session })).status,
    ).toBe(404);
    const after = await app.call<{ data: Card[] }>('GET', '/v1/me/cards', { auth: alice.session });
    expect(after.json.data.map((c) => c.token)).toEqual([other.json.token]);
    expect((await app.call('DELETE', '/v1/me/cards/not-a-token', { auth: alice.session })).status).toBe(400);
  });
});

describe('KMS failure over HTTP', () => {
  it('throttling is retried, then answers 503 in the error shape with nothing written', async () => {
    const { session } = await newCustomer();
    const token = await stepUp(app, session, 'add_card');
    const kms = mockClient(KMSClient);
    try {
      kms.on(GenerateDataKeyCommand).rejects(
        Object.assign(new Error('Rate exceeded'), {
          name: 'ThrottlingException',
          $fault: 'client',
          $metadata: { httpStatusCode: 400 },
        }),
      );
      setKeyService(
        new KmsKeyService({ client: new KMSClient({ region: 'us-east-1' }), sleep: async () => {} }),
      );
      const before = await cardData();
      const res = await addCard(session, body('6011111111111117'), token);
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('1');
      expect(res.json).toMatchObject({ error: { type: 'api_error', code: 'service_unavailable' } });
      expect(kms).toHaveReceivedCommandTimes(GenerateDataKeyCommand, 3);
      expect(await cardData()).toEqual(before);
    } finally {
      kms.restore();
      setKeyService(undefined);
    }
    // Once KMS is back, the same step-up (not used by the failed request) goes through.
    expect((await addCard(session, body('6011111111111117'), token)).status).toBe(201);
  });
});

describe('operator re-wrap over HTTP', () => {
  it('moves records to the rotated local key and they still detokenize; operator only', async () => {
    expect((await app.call('POST', '/v1/admin/vault/rewrap', { body: {} })).status).toBe(401);
    const { LocalKeyService } = await import('../../functions/lib/key-service-local.ts');
    const { keyService } = await import('../../functions/lib/key-service.ts');
    const { detokenize } = await import('../../functions/vault/service.ts');
    const { session } = await newCustomer();
    const saved = await addCard(session, body('3566002020360505'), await stepUp(app, session, 'add_card'));
    const keys = keyService();
    if (!(keys instanceof LocalKeyService)) throw new Error('expected the local key service');
    await keys.rotate(process.env.VAULT_KEY_ID ?? 'alias/tessera-vault');

    let report: Record<string, unknown> = { done: false };
    for (let i = 0; i < 10 && report.done !== true; i++) {
      const res = await app.call('POST', '/v1/admin/vault/rewrap', {
        auth: app.operator,
        body: { pageSize: 50 },
      });
      expect(res.status).toBe(200);
      report = res.json;
    }
    expect(report).toMatchObject({ object: 'vault_rewrap', done: true });
    const vault = (await app.scanAll()).vault ?? [];
    const active = vault.filter((i) => i.type === 'card' && i.status === 'active');
    expect(active.length).toBeGreaterThan(0);
    for (const record of active) expect(record.keyVersion).toBe('v2');
    const out = await detokenize(saved.json.token, { actor: 'test:e2e', reason: 're-wrap check' });
    expect(out.pan.toString()).toBe('3566002020360505');
    out.pan.fill(0);
  });
});
