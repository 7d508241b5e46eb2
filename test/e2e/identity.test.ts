/**
 * Identity verification (KYC) over HTTP: the sandbox's test data, its signed callback (forged,
 * stale and replayed ones refused), operator review and expiry under the injected clock (issue 11).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { identityCallbackSecret } from '../../functions/identity/callback-secret.ts';
import { setIdentityProvider } from '../../functions/identity/provider.ts';
import { DAY_MS, fixedClock } from '../../functions/lib/clock.ts';
import { newId } from '../../functions/lib/ids.ts';
import { logger, redactValue } from '../../functions/lib/logger.ts';
import { signatureHeader } from '../../functions/webhooks/events.ts';
import { appWithClock } from '../support/app.ts';
import { registerCustomer } from '../support/customers.ts';
import { outputCapture } from '../support/output.ts';

const clock = fixedClock('2026-06-01T09:00:00.000Z');
const app = appWithClock(clock);
afterEach(() => setIdentityProvider(undefined));

type Verification = {
  id: string;
  status: string;
  documentLast4: string;
  reasons: string[];
  expiresAt?: string;
};

const start = (sessionToken: string, documentNumber: string) =>
  app().call<Verification>('POST', '/v1/me/identity-verifications', {
    auth: sessionToken,
    body: { documentType: 'passport', documentNumber, country: 'DE' },
  });
const identity = async (sessionToken: string) =>
  (await app().call<{ status: string }>('GET', '/v1/me/identity', { auth: sessionToken })).json.status;

describe('identity verification (sandbox provider)', () => {
  it('decides by the document number: 0000 rejected, 1111 in review, others verified; keeps only hash + last 4', async () => {
    for (const [number, status] of [
      ['C01X20000', 'rejected'],
      ['C01X21111', 'in_review'],
      ['C01X24242', 'verified'],
    ] as const) {
      const shopper = await registerCustomer(app());
      expect(await identity(shopper.sessionToken)).toBe('unverified');
      const res = await start(shopper.sessionToken, number);
      expect(res.status, res.text).toBe(201);
      expect(res.json).toMatchObject({ status, documentLast4: number.slice(-4) });
      expect(await identity(shopper.sessionToken)).toBe(status);
      const got = await app().call<Verification>('GET', `/v1/me/identity-verifications/${res.json.id}`, {
        auth: shopper.sessionToken,
      });
      expect(got.json.status).toBe(status);
    }
    // Data minimization: no table, audit or event holds a document number in clear.
    const dump = JSON.stringify(await app().scanAll());
    for (const number of ['C01X20000', 'C01X21111', 'C01X24242']) expect(dump).not.toContain(number);
  }, 120_000);

  it('no log line holds a document number: starts, a refused start, the signed callback, an operator decision, a provider error echoing it (DEBUG)', async () => {
    const numbers = ['L0G9X0000', 'l0g9x1111', 'L0G9X2468', 'L0G9X1357', 'L0G9X9753'];
    const shoppers = [];
    for (let i = 0; i < 5; i++) shoppers.push(await registerCustomer(app()));
    const output = outputCapture();
    logger.setLogLevel('DEBUG');
    output.start();
    try {
      // The sandbox decides each (rejected, in review, verified) and calls back, in-process.
      const decided = [];
      for (const [i, number] of numbers.slice(0, 3).entries()) {
        decided.push(await start(shoppers[i]?.sessionToken as string, number));
      }
      expect(decided.map((r) => r.json.status)).toEqual(['rejected', 'in_review', 'verified']);
      // Refused while in review (the number in the request, not in the answer or the logs).
      const busy = await start(shoppers[1]?.sessionToken as string, numbers[3] as string);
      expect(busy.json).toMatchObject({ error: { code: 'identity_verification_in_progress' } });
      const review = await app().call<Verification>(
        'POST',
        `/v1/admin/identity-verifications/${decided[1]?.json.id}/decision`,
        { auth: app().operator, body: { decision: 'verified' } },
      );
      expect(review.status, review.text).toBe(200);
      // The held provider: a decision delivered by a signed callback, over HTTP.
      setIdentityProvider({ name: 'sandbox', start: async () => ({ providerRef: 'held' }) });
      const pending = await start(shoppers[3]?.sessionToken as string, numbers[3] as string);
      expect(pending.json.status).toBe('pending');
      const secret = await identityCallbackSecret();
      const now = Math.floor(clock.now().getTime() / 1000);
      const body = JSON.stringify({
        id: newId('event', clock.now()),
        type: 'identity_verification.decided',
        created: now,
        data: { verificationId: pending.json.id, providerRef: 'ref_logs', decision: 'verified', reasons: [] },
      });
      const callback = await app().call('POST', '/v1/identity/callbacks', {
        rawBody: body,
        headers: {
          'Content-Type': 'application/json',
          'Tessera-Identity-Signature': signatureHeader(body, [secret], now),
        },
      });
      expect(callback.status, callback.text).toBe(200);
      // A provider whose error echoes its input (as HTTP clients' errors often carry the request):
      // the start stays pending and the failure is logged, without the number.
      setIdentityProvider({
        name: 'sandbox',
        start: async (request) => {
          throw new Error(`document ${request.documentNumber} could not be read`, {
            cause: new Error(`request body {"number":"${request.documentNumber}"}`),
          });
        },
      });
      const failed = await start(shoppers[4]?.sessionToken as string, numbers[4] as string);
      expect(failed.json.status).toBe('pending');
    } finally {
      output.release();
      logger.setLogLevel('INFO');
    }
    const logs = output.lines.join('');
    // The failure was logged (the capture works), naming the verification and the last 4 only.
    expect(logs).toContain('identity provider start failed');
    expect(logs).toContain('document …9753 could not be read');
    // A request body logged whole would have its document number redacted by key, too.
    expect(redactValue('documentNumber', 'L0G9X9753')).toBe('[REDACTED]');
    for (const number of numbers) {
      expect(logs).not.toContain(number);
      expect(logs.toUpperCase()).not.toContain(number.toUpperCase());
    }
  }, 120_000);

  it("another customer's verification is a 404; a second start while verified is a 409", async () => {
    const a = await registerCustomer(app());
    const b = await registerCustomer(app());
    const started = await start(a.sessionToken, 'D55556666');
    const other = await app().call('GET', `/v1/me/identity-verifications/${started.json.id}`, {
      auth: b.sessionToken,
    });
    expect(other.status).toBe(404);
    expect((await start(a.sessionToken, 'D55556667')).json).toMatchObject({
      error: { code: 'identity_already_verified' },
    });
  }, 120_000);

  it('operators decide in_review cases', async () => {
    const shopper = await registerCustomer(app());
    const res = await start(shopper.sessionToken, 'R00011111');
    const queue = await app().call<{ data: Verification[] }>('GET', '/v1/admin/identity-verifications', {
      auth: app().operator,
    });
    expect(queue.json.data.map((v) => v.id)).toContain(res.json.id);
    const unauth = await app().call('GET', '/v1/admin/identity-verifications', {
      auth: shopper.sessionToken,
    });
    expect(unauth.status).toBe(401);
    const decided = await app().call<Verification>(
      'POST',
      `/v1/admin/identity-verifications/${res.json.id}/decision`,
      { auth: app().operator, body: { decision: 'verified' } },
    );
    expect(decided.status, decided.text).toBe(200);
    expect(await identity(shopper.sessionToken)).toBe('verified');
    const again = await app().call('POST', `/v1/admin/identity-verifications/${res.json.id}/decision`, {
      auth: app().operator,
      body: { decision: 'rejected' },
    });
    expect(again.json).toMatchObject({ error: { code: 'identity_not_in_review' } });
  }, 120_000);

  it('refuses a forged, stale or replayed callback; applies a genuine one once', async () => {
    setIdentityProvider({ name: 'sandbox', start: async () => ({ providerRef: 'held' }) });
    const shopper = await registerCustomer(app());
    const pending = await start(shopper.sessionToken, 'H12345678');
    expect(pending.json.status).toBe('pending');
    const secret = await identityCallbackSecret();
    const now = Math.floor(clock.now().getTime() / 1000);
    const event = (decision: string) =>
      JSON.stringify({
        id: newId('event', clock.now()),
        type: 'identity_verification.decided',
        created: now,
        data: { verificationId: pending.json.id, providerRef: 'ref_1', decision, reasons: [] },
      });
    const send = (body: string, signature: string) =>
      app().call('POST', '/v1/identity/callbacks', {
        rawBody: body,
        headers: { 'Content-Type': 'application/json', 'Tessera-Identity-Signature': signature },
      });
    const genuine = event('verified');
    const refusals = [
      await send(genuine, signatureHeader(genuine, ['not-the-secret'], now)),
      await send(genuine, signatureHeader(genuine, [secret], now - 301)),
      await send(genuine, ''),
      await send(event('rejected'), signatureHeader(genuine, [secret], now)),
    ];
    for (const res of refusals) {
      expect(res.status, res.text).toBe(400);
      expect(res.json).toMatchObject({ error: { code: 'callback_signature_invalid' } });
    }
    expect(await identity(shopper.sessionToken)).toBe('pending');
    const signature = signatureHeader(genuine, [secret], now);
    expect((await send(genuine, signature)).status).toBe(200);
    expect(await identity(shopper.sessionToken)).toBe('verified');
    const replay = await send(genuine, signature);
    expect(replay.status).toBe(409);
    expect(replay.json).toMatchObject({ error: { code: 'callback_replayed' } });
    const late = event('rejected');
    const overturn = await send(late, signatureHeader(late, [secret], now));
    expect(overturn.json).toMatchObject({ error: { code: 'identity_verification_decided' } });
    expect(await identity(shopper.sessionToken)).toBe('verified');
  }, 120_000);

  it('a verification expires after the configured period (365 days by default)', async () => {
    const shopper = await registerCustomer(app());
    const res = await start(shopper.sessionToken, 'E98765432');
    expect(res.json.expiresAt).toBe(new Date(clock.now().getTime() + 365 * DAY_MS).toISOString());
    clock.advance(366 * DAY_MS);
    // Sessions are short-lived: sign in again on the new day.
    const again = await app().call<{ sessionToken: string }>('POST', '/v1/sessions', {
      body: { email: shopper.email, password: shopper.password },
    });
    expect(await identity(again.json.sessionToken)).toBe('expired');
    const restart = await start(again.json.sessionToken, 'E98765433');
    expect(restart.json.status).toBe('verified');
  }, 120_000);

  it('a verification the provider never decides expires after the pending period (48 hours by default); a new one may start', async () => {
    // The provider accepts the start but never calls back.
    setIdentityProvider({ name: 'sandbox', start: async () => ({ providerRef: 'silent' }) });
    const shopper = await registerCustomer(app());
    const pending = await start(shopper.sessionToken, 'P12345678');
    expect(pending.json.status).toBe('pending');
    expect(pending.json.expiresAt).toBe(new Date(clock.now().getTime() + 48 * 3_600_000).toISOString());
    // A new start is refused while it is pending.
    const busy = await start(shopper.sessionToken, 'P12345679');
    expect(busy.json).toMatchObject({ error: { code: 'identity_verification_in_progress' } });

    clock.advance(48 * 3_600_000 - 60_000);
    const signIn = async () =>
      (
        await app().call<{ sessionToken: string }>('POST', '/v1/sessions', {
          body: { email: shopper.email, password: shopper.password },
        })
      ).json.sessionToken;
    expect(await identity(await signIn())).toBe('pending');
    clock.advance(60_000);
    const session = await signIn();
    expect(await identity(session)).toBe('expired');
    const read = await app().call<Verification>('GET', `/v1/me/identity-verifications/${pending.json.id}`, {
      auth: session,
    });
    expect(read.json.status).toBe('expired');

    // A new verification may be started, and decided.
    setIdentityProvider(undefined);
    const restart = await start(session, 'P12345680');
    expect(restart.json.status).toBe('verified');
  }, 120_000);
});
