import { GenerateDataKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setKeyService } from '../../functions/lib/key-service.ts';
import { KmsKeyService } from '../../functions/lib/key-service-kms.ts';
import { logger } from '../../functions/lib/logger.ts';
import { detokenize } from '../../functions/vault/service.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { registerCustomer, stepUp } from '../support/customers.ts';
import { outputCapture } from '../support/output.ts';
import { panLikeRuns } from '../support/pan-scan.ts';

/**
 * The leak hunt: drive the real HTTP flow (valid cards, duplicates, cross-customer reuse, every kind
 * of refusal, a KMS outage, deletes and the charger's detokenize) while capturing every byte written
 * to stdout and stderr, then look for card numbers in every table but the vault, in every log line
 * and in every HTTP response.
 *
 * Two searches:
 *  1. each PAN that was sent (valid or not), as a plain substring: no false positives, no exclusions;
 *  2. any 13–19 digit run that passes Luhn (findPanLikeRuns), for a PAN we did not think of. Random
 *     digits pass Luhn one time in ten, so it skips values that are digits by nature and can't hold
 *     a PAN: numeric epoch timestamps (13-digit milliseconds; fields named ttl/…At/…Ms/…Until) and
 *     hex digests (SHA-256/HMAC, ≥32 hex chars: a 64-char digest holds a Luhn-passing 13+ digit
 *     run about 0.5% of the time). ISO timestamps and ULIDs can't produce such runs (separators,
 *     letters). A PAN is at most 19 digits, so it cannot hide inside a skipped digest unless glued
 *     to other hex characters, which search 1 would still catch.
 */

const VALID = [
  '4242424242424242',
  '5555555555554444',
  '2223003122003222',
  '378282246310005',
  '6011111111111117',
  '3056930009020004',
  '3566002020360505',
  '6200000000000005',
];
/** Sent and refused: they must not leak either. */
const REFUSED = ['4242424242424241', '42424242424242', '4242424242424242424242424', '5555555555554443'];

const cvcFor = (number: string) => (/^3[47]/.test(number) ? '7391' : '739');
const body = (number: string, overrides: Record<string, unknown> = {}) => ({
  number,
  expMonth: 10,
  expYear: 2032,
  cvc: cvcFor(number),
  ...overrides,
});

let app: TestApp;
const output = outputCapture();
const logs = output.lines;
const responses: string[] = [];

beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  output.release();
  logger.setLogLevel('INFO');
  await app?.close();
});

function logRecords(): unknown[] {
  return logs
    .join('')
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => {
      try {
        return JSON.parse(line) as unknown;
      } catch {
        return line; // not JSON (e.g. a gateway line): scanned as text
      }
    });
}

describe('leak hunt through the real HTTP flow against DynamoDB Local', () => {
  it('finds no card number in the main table, the logs or the responses', async () => {
    async function call<T = Record<string, unknown>>(
      method: string,
      path: string,
      options?: Parameters<TestApp['call']>[2],
    ) {
      const res = await app.call<T>(method, path, options);
      responses.push(res.text);
      return res;
    }
    const add = async (session: string, payload: unknown, token?: string) =>
      call<{ token: string }>('POST', '/v1/me/cards', {
        auth: session,
        body: payload,
        headers: { 'Step-Up-Token': token ?? (await stepUp(app, session, 'add_card')) },
      });
    // One-time code sends are limited to 5 per customer per 15 minutes: spread the flow over shoppers.
    const savers = [];
    for (let i = 0; i < 4; i++) savers.push(await registerCustomer(app));
    const bob = await registerCustomer(app);
    const carol = await registerCustomer(app);

    logger.setLogLevel('DEBUG');
    output.start();
    const tokens: string[] = [];
    const owners: string[] = [];
    try {
      for (const [i, number] of VALID.entries()) {
        const owner = savers[Math.floor(i / 2)]?.sessionToken as string;
        const saved = await add(owner, body(number));
        expect(saved.status).toBe(201);
        tokens.push(saved.json.token);
        owners.push(owner);
        expect((await add(owner, body(number))).status).toBe(200); // the same card again
      }
      // The same cards under another customer (recorded for monitoring).
      for (const number of VALID.slice(0, 3))
        expect((await add(bob.sessionToken, body(number))).status).toBe(201);

      // Refusals of every kind, each carrying a card number somewhere in the request.
      const session = carol.sessionToken;
      const token = await stepUp(app, session, 'add_card');
      for (const number of REFUSED) expect((await add(session, body(number), token)).status).toBe(422);
      expect((await add(session, body('4242424242424242', { expYear: 2019 }), token)).status).toBe(422);
      expect((await add(session, body('378282246310005', { cvc: '739' }), token)).status).toBe(422);
      expect(
        (await add(session, { ...body('4242424242424242'), pan: '4242424242424242' }, token)).status,
      ).toBe(400);
      const rawBodies = [
        '{"number":4242424242424242,"expMonth":10,"expYear":2032,"cvc":"739"}',
        '{"number":"4242424242424242","expMonth":10,',
        '{"number":"5555555555554444","expMonth":"10","expYear":2032,"cvc":"739"}',
      ];
      for (const rawBody of rawBodies) {
        const res = await call('POST', '/v1/me/cards', {
          auth: session,
          rawBody,
          headers: { 'Step-Up-Token': token, 'Content-Type': 'application/json' },
        });
        expect(res.status).toBe(400);
      }
      expect((await call('POST', '/v1/me/cards', { body: body('4242424242424242') })).status).toBe(401);
      expect(
        (await call('POST', '/v1/me/cards', { auth: session, body: body('4242424242424242') })).status,
      ).toBe(403);
      expect((await call('DELETE', '/v1/me/cards/4242424242424242', { auth: session })).status).toBe(400);

      // A KMS outage: the 503 path logs a warning with its cause. (The step-up first: 2FA uses the key service too.)
      const bobStepUp = await stepUp(app, bob.sessionToken, 'add_card');
      const kms = mockClient(KMSClient);
      kms.on(GenerateDataKeyCommand).rejects(
        Object.assign(new Error('Rate exceeded'), {
          name: 'ThrottlingException',
          $metadata: { httpStatusCode: 400 },
        }),
      );
      setKeyService(
        new KmsKeyService({ client: new KMSClient({ region: 'us-east-1' }), sleep: async () => {} }),
      );
      try {
        expect((await add(bob.sessionToken, body('6011111111111117'), bobStepUp)).status).toBe(503);
      } finally {
        kms.restore();
        setKeyService(undefined);
      }

      // Reads, deletes and the charger.
      expect((await call('GET', '/v1/me/cards', { auth: owners[0] as string })).status).toBe(200);
      expect((await call('DELETE', `/v1/me/cards/${tokens[0]}`, { auth: bob.sessionToken })).status).toBe(
        404,
      );
      expect((await call('DELETE', `/v1/me/cards/${tokens[0]}`, { auth: owners[0] as string })).status).toBe(
        200,
      );
      for (const token of tokens.slice(1, 4)) {
        const out = await detokenize(token, { actor: 'system:charger', reason: 'leak hunt' });
        out.pan.fill(0);
      }
    } finally {
      output.release();
      logger.setLogLevel('INFO');
    }

    const tables = await app.scanAll();
    const outsideVault = Object.entries(tables).filter(([name]) => name !== 'vault');
    expect(outsideVault.map(([name]) => name)).toContain('main');
    expect(tables.main?.some((i) => i.action === 'vault.card_added')).toBe(true);
    const records = logRecords();
    // The hunt must have had something to look at: vault log lines and the 503 warning.
    expect(logs.join('')).toContain('card tokenized');
    expect(logs.join('')).toContain('dependency failure');
    expect(records.length).toBeGreaterThan(VALID.length);

    const surfaces: Array<[string, unknown]> = [
      ...outsideVault.map(([name, items]) => [`table ${name}`, items] as [string, unknown]),
      ['logs', records],
      ['responses', responses],
    ];
    for (const [where, content] of surfaces) {
      const text = JSON.stringify(content);
      for (const number of [...VALID, ...REFUSED]) {
        expect(text.includes(number), `${where} contains a card number sent in the flow`).toBe(false);
      }
      expect(panLikeRuns(content), `${where} holds a Luhn-valid 13–19 digit run`).toEqual([]);
    }

    // And the vault itself holds them only encrypted.
    const vaultText = JSON.stringify(tables.vault);
    for (const number of [...VALID, ...REFUSED]) expect(vaultText.includes(number)).toBe(false);
    expect(panLikeRuns(tables.vault)).toEqual([]);
  }, 120_000);
});
