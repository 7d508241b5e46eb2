import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock, setClock } from '../../functions/lib/clock.ts';
import { totpAt } from '../../functions/twofa/totp.ts';
import { type ApiResponse, startTestApp, type TestApp } from '../support/app.ts';
import { enrollTotp, registerCustomer, signIn, totpCode } from '../support/customers.ts';

let app: TestApp;
const clock = fixedClock('2026-06-01T08:00:00.000Z');
beforeAll(async () => {
  setClock(clock);
  app = await startTestApp();
});
afterAll(async () => {
  setClock(undefined);
  await app?.close();
});

const HOUR = 3_600_000;
/** Dozens of scrypt sign-ins and code sends each: generous on a loaded machine (nothing here is timed). */
const SLOW = 90_000;
const errorOf = (res: ApiResponse) => (res.json as { error: Record<string, unknown> }).error;
const retryAfter = (res: ApiResponse) => Number(res.headers.get('retry-after'));
const signInAs = (email: string, password: string) =>
  app.call<{ sessionToken?: string; challengeId?: string }>('POST', '/v1/sessions', {
    body: { email, password },
  });

/** Starts each scenario on a clean slate: every counter forgotten (24 h) and a fresh hour. */
function freshDay() {
  const next = Math.ceil((clock.now().getTime() + 25 * HOUR) / HOUR) * HOUR;
  clock.set(new Date(next));
}

async function alertsOf(sessionToken: string): Promise<string[]> {
  const res = await app.call<{ data: Array<{ subject: string }> }>('GET', '/v1/me/outbox', {
    auth: sessionToken,
  });
  return res.json.data.map((m) => m.subject);
}

describe('password lockout', () => {
  it('per account: 4 free failures, then 15 s doubling, then a 1 h lock with an alert', {
    timeout: SLOW,
  }, async () => {
    freshDay();
    const c = await registerCustomer(app);
    const waits: number[] = [];
    let failures = 0;
    for (;;) {
      const res = await signInAs(c.email, 'Wrong-Password-Guess-1');
      if (res.status === 401) {
        failures++;
        continue;
      }
      expect(res.status).toBe(429);
      // The reply never says whether the account or the address is blocked.
      expect(errorOf(res)).toMatchObject({ type: 'rate_limit_error', code: 'rate_limited' });
      expect(errorOf(res).message).toBe('Too many sign-in attempts. Try again later.');
      waits.push(retryAfter(res));
      if (failures === 10) break;
      clock.advance(retryAfter(res) * 1000);
    }
    // Failures 1-4 free; after the 5th to the 9th a wait of 15 s doubling; the 10th locks for 1 h.
    expect(waits).toEqual([15, 30, 60, 120, 240, 3600]);
    // Locked: even the right password is refused until the hour is over.
    clock.advance(59 * 60_000);
    expect((await signInAs(c.email, c.password)).status).toBe(429);
    clock.advance(60_000);
    const after = await signInAs(c.email, c.password);
    expect(after.status).toBe(200);
    const alerts = await alertsOf(after.json.sessionToken ?? '');
    expect(alerts).toContain('Sign-in locked');
    const audit = (await app.scanAll()).main?.filter((i) => i.pk === `AUDIT#${c.customerId}`) ?? [];
    expect(audit.map((i) => i.action)).toEqual(
      expect.arrayContaining(['customer.sign_in_failed', 'customer.locked', 'customer.signed_in']),
    );
  });

  it('an unknown email is throttled exactly like a real one (no account enumeration)', async () => {
    freshDay();
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++)
      statuses.push((await signInAs('nobody@example.com', 'Some-Guess-123-x')).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
  });

  it('per IP: 20 free failures across accounts, then a wait for everyone on that address', {
    timeout: SLOW,
  }, async () => {
    freshDay();
    const c = await registerCustomer(app, { verify: false }); // sign-in only: no code, no alert
    for (let i = 0; i < 21; i++) {
      const res = await signInAs(`stuffed-${i}@example.com`, 'Leaked-Password-99');
      expect(res.status, `attempt ${i + 1}`).toBe(401);
    }
    const blocked = await signInAs(c.email, c.password);
    expect(blocked.status).toBe(429);
    expect(retryAfter(blocked)).toBe(15);
    clock.advance(15_000);
    // A success does not reset the address's count (or an attacker would with their own account).
    expect((await signInAs(c.email, c.password)).status).toBe(200);
    expect((await signInAs('stuffed-x@example.com', 'Leaked-Password-99')).status).toBe(401);
    expect((await signInAs(c.email, c.password)).status).toBe(429);
  });
});

describe('second-factor lockout', () => {
  it('consecutive failures across challenges: growing waits, then a 1 h lock and an alert', {
    timeout: SLOW,
  }, async () => {
    freshDay();
    const c = await registerCustomer(app);
    const { secret } = await enrollTotp(app, c.sessionToken);
    const wrongCode = async () => {
      const valid = new Set(
        await Promise.all(
          [-1, 0, 1].map((d) => totpAt(secret, new Date(clock.now().getTime() + d * 30_000))),
        ),
      );
      let guess = 0;
      while (valid.has(String(guess).padStart(6, '0'))) guess++;
      return String(guess).padStart(6, '0');
    };
    let challengeId: string | undefined;
    const waits: number[] = [];
    let failures = 0;
    let last: ApiResponse | undefined;
    while (failures < 10) {
      if (!challengeId) challengeId = (await signInAs(c.email, c.password)).json.challengeId;
      const res = await app.call('POST', '/v1/sessions/mfa', {
        body: { challengeId, code: await wrongCode() },
      });
      last = res;
      if (res.status === 429) {
        waits.push(retryAfter(res));
        clock.advance(retryAfter(res) * 1000);
      } else if (res.status === 422 && errorOf(res).code === 'code_invalid') {
        failures++;
      } else {
        // Spent or expired: a new sign-in brings a new challenge; the failures carry over.
        expect(['challenge_attempts_exceeded', 'challenge_expired']).toContain(errorOf(res).code);
        challengeId = undefined;
      }
    }
    expect(last?.status).toBe(422);
    expect(waits).toEqual([15, 30, 60, 120, 240, 480]);
    challengeId = (await signInAs(c.email, c.password)).json.challengeId;
    const locked = await app.call('POST', '/v1/sessions/mfa', {
      body: { challengeId, code: await totpCode(secret) },
    });
    expect(locked.status).toBe(429);
    expect(errorOf(locked)).toMatchObject({ code: 'two_factor_locked' });
    expect(retryAfter(locked)).toBe(3600);

    clock.advance(HOUR);
    challengeId = (await signInAs(c.email, c.password)).json.challengeId;
    const ok = await app.call<{ sessionToken: string }>('POST', '/v1/sessions/mfa', {
      body: { challengeId, code: await totpCode(secret) },
    });
    expect(ok.status).toBe(200);
    expect(await alertsOf(ok.json.sessionToken)).toContain('Two-factor checks locked');
    const audit = (await app.scanAll()).main?.filter((i) => i.pk === `AUDIT#${c.customerId}`) ?? [];
    expect(audit.filter((i) => i.action === 'twofa.failed')).toHaveLength(10);
    expect(audit.filter((i) => i.action === 'twofa.locked')).toHaveLength(1);
  });
});

describe('one-time code send limits', () => {
  const startStepUp = (session: string) =>
    app.call('POST', '/v1/me/step-up', { auth: session, body: { action: 'add_card' } });

  it('5 sends per customer per 15 minutes, the contact verification code included', {
    timeout: SLOW,
  }, async () => {
    freshDay();
    const c = await registerCustomer(app); // 1: the code that verified the email
    for (let i = 0; i < 4; i++) expect((await startStepUp(c.sessionToken)).status).toBe(201);
    const limited = await startStepUp(c.sessionToken);
    expect(limited.status).toBe(429);
    expect(retryAfter(limited)).toBe(15 * 60);
    clock.advance(15 * 60_000);
    // (The 15-minute session ended with the window: sign in again.)
    expect((await startStepUp(await signIn(app, c.email, c.password))).status).toBe(201);
  });

  it('10 SMS per phone number per hour, across customers', { timeout: SLOW }, async () => {
    freshDay();
    const phone = '+14155550199';
    // Each registration verifies the email and the phone: one SMS to the phone each.
    const a = await registerCustomer(app, { phone });
    const b = await registerCustomer(app, { phone });
    const other = await registerCustomer(app);
    for (const c of [a, b])
      for (let i = 0; i < 3; i++) expect((await startStepUp(c.sessionToken)).status).toBe(201);
    const third = await registerCustomer(app, { phone }); // the 9th SMS
    expect((await startStepUp(third.sessionToken)).status).toBe(201); // the 10th
    const limited = await startStepUp(third.sessionToken);
    expect(limited.status).toBe(429);
    expect(retryAfter(limited)).toBe(3600);
    // Other numbers are unaffected.
    expect((await startStepUp(other.sessionToken)).status).toBe(201);
  });
});
