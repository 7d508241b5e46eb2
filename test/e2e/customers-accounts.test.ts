/**
 * Verified accounts over HTTP (issue 11, docs/adr/0017-verified-contacts.md): contacts are verified
 * by a code before they get codes or alerts; the login second factor by SMS or email code; password
 * change and reset; contact change behind `change_contact`.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fixedClock, setClock } from '../../functions/lib/clock.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import {
  enrollTotp,
  newCredentials,
  outboxCode,
  type RegisteredCustomer,
  registerCustomer,
  signIn,
  stepUp,
  totpCode,
  verifyContact,
} from '../support/customers.ts';

let app: TestApp;
const clock = fixedClock('2026-07-06T09:00:00.000Z');

beforeAll(async () => {
  setClock(clock);
  app = await startTestApp();
});
afterAll(async () => {
  setClock(undefined);
  await app?.close();
});
beforeEach(() => {
  // A new hour and day for each test: no rate window or guard carries over.
  clock.advance(25 * 3_600_000);
});

type Json = Record<string, unknown>;
interface OutboxMessage {
  channel: 'sms' | 'email';
  kind: string;
  to: string;
  subject: string;
  text: string;
  reference?: string;
}
const errorOf = (res: { json: Json }) => (res.json as { error: Json }).error;

async function outbox(auth: string): Promise<OutboxMessage[]> {
  const res = await app.call<{ data: OutboxMessage[] }>('GET', '/v1/me/outbox', { auth });
  expect(res.status).toBe(200);
  return res.json.data;
}

/** The accounts: profiles and email claims. */
async function accounts(): Promise<string[]> {
  return (await state()).filter((i) => /"type":"(customer|email)"/.test(i));
}

/** The items of the main table that are not rate counters, guards or audit (the business state). */
async function state(): Promise<string[]> {
  const tables = await app.scanAll();
  return Object.values(tables)
    .flat()
    .filter((i) => !['rateCounter', 'guard', 'audit'].includes(String(i.type)))
    .map((i) => JSON.stringify(i))
    .sort();
}

async function auditOf(customerId: string): Promise<Json[]> {
  const tables = await app.scanAll();
  return Object.values(tables)
    .flat()
    .filter((i) => i.type === 'audit' && i.subject === customerId);
}

describe('unverified contacts get no codes and no alerts', () => {
  it('no step-up code to an unverified email or phone; the verified email gets it, never the phone', async () => {
    const c = await registerCustomer(app, { phone: '+14155550101', verify: false });
    const me = await app.call<Json>('GET', '/v1/me', { auth: c.sessionToken });
    expect(me.json).toMatchObject({ emailVerified: false, phoneVerified: false });

    const refused = await app.call('POST', '/v1/me/step-up', {
      auth: c.sessionToken,
      body: { action: 'add_card' },
    });
    expect(refused.status).toBe(422);
    expect(errorOf(refused)).toMatchObject({ code: 'contact_unverified' });
    expect(await outbox(c.sessionToken)).toEqual([]);

    // A new-device sign-in alerts nobody while the email is unverified.
    const other = await app.call<{ sessionToken: string }>('POST', '/v1/sessions', {
      body: { email: c.email, password: c.password },
      headers: { 'User-Agent': 'another-device/1.0' },
    });
    expect(other.status).toBe(200);
    expect(await outbox(c.sessionToken)).toEqual([]);

    await verifyContact(app, c.sessionToken, 'email');
    const started = await app.call<{ challengeId: string; channel: string }>('POST', '/v1/me/step-up', {
      auth: c.sessionToken,
      body: { action: 'add_card' },
    });
    expect(started.status).toBe(201);
    expect(started.json.channel).toBe('email');
    const messages = await outbox(c.sessionToken);
    const code = messages.find((m) => m.reference === started.json.challengeId);
    expect(code).toMatchObject({ channel: 'email', to: c.email, kind: 'one_time_code' });
    // The only SMS the unverified phone ever got: none.
    expect(messages.filter((m) => m.channel === 'sms')).toEqual([]);

    // Once the phone is verified, step-up codes go by SMS.
    await verifyContact(app, c.sessionToken, 'phone');
    const bySms = await app.call<{ channel: string }>('POST', '/v1/me/step-up', {
      auth: c.sessionToken,
      body: { action: 'add_card' },
    });
    expect(bySms.json.channel).toBe('sms');
  });

  it('verification: a wrong code is refused, the right one verifies once; no phone, or verified again, is refused', async () => {
    const c = await registerCustomer(app, { verify: false });
    const started = await app.call<{ challengeId: string; channel: string; expiresAt: string }>(
      'POST',
      '/v1/me/contact-verifications',
      { auth: c.sessionToken, body: { contact: 'email' } },
    );
    expect(started.status).toBe(201);
    expect(started.json).toMatchObject({ channel: 'email', challengeId: expect.stringMatching(/^chl_/) });
    const code = await outboxCode(app, c.sessionToken, started.json.challengeId);
    const path = `/v1/me/contact-verifications/${started.json.challengeId}/verify`;
    const wrong = await app.call('POST', path, {
      auth: c.sessionToken,
      body: { code: code === '000000' ? '000001' : '000000' },
    });
    expect(wrong.status).toBe(422);
    expect(errorOf(wrong)).toMatchObject({ code: 'code_invalid' });
    expect((await app.call<Json>('GET', '/v1/me', { auth: c.sessionToken })).json.emailVerified).toBe(false);

    const right = await app.call<Json>('POST', path, { auth: c.sessionToken, body: { code } });
    expect(right.status).toBe(200);
    expect(right.json).toMatchObject({ id: c.customerId, emailVerified: true });
    const again = await app.call('POST', path, { auth: c.sessionToken, body: { code } });
    expect(errorOf(again)).toMatchObject({ code: 'challenge_used' });

    const twice = await app.call('POST', '/v1/me/contact-verifications', {
      auth: c.sessionToken,
      body: { contact: 'email' },
    });
    expect(twice.status).toBe(409);
    expect(errorOf(twice)).toMatchObject({ code: 'contact_already_verified' });
    const noPhone = await app.call('POST', '/v1/me/contact-verifications', {
      auth: c.sessionToken,
      body: { contact: 'phone' },
    });
    expect(noPhone.status).toBe(422);
    expect(errorOf(noPhone)).toMatchObject({ code: 'contact_missing', param: 'contact' });

    const audit = await auditOf(c.customerId);
    expect(audit.map((a) => a.action)).toContain('customer.contact_verified');
    // Audit names the kind of contact, never the address.
    expect(JSON.stringify(audit)).not.toContain(c.email);
  });

  it("another customer's contact challenge is not found", async () => {
    const a = await registerCustomer(app, { verify: false });
    const b = await registerCustomer(app);
    const started = await app.call<{ challengeId: string }>('POST', '/v1/me/contact-verifications', {
      auth: a.sessionToken,
      body: { contact: 'email' },
    });
    const code = await outboxCode(app, a.sessionToken, started.json.challengeId);
    const res = await app.call('POST', `/v1/me/contact-verifications/${started.json.challengeId}/verify`, {
      auth: b.sessionToken,
      body: { code },
    });
    expect(res.status).toBe(404);
    expect((await app.call<Json>('GET', '/v1/me', { auth: a.sessionToken })).json.emailVerified).toBe(false);
  });
});

describe('login second factor by SMS or email code', () => {
  /**
   * Answers the sign-in challenge with the code it sent (read from the outbox): a session of this
   * customer, audited as a one-time-code sign-in; the same code again is refused (used once).
   */
  async function signsInWithSentCode(c: RegisteredCustomer, challengeId: string) {
    const code = await outboxCode(app, c.sessionToken, challengeId);
    const signedIn = await app.call<{ sessionToken: string }>('POST', '/v1/sessions/mfa', {
      body: { challengeId, code },
    });
    expect(signedIn.status, signedIn.text).toBe(200);
    const me = await app.call<Json>('GET', '/v1/me', { auth: signedIn.json.sessionToken });
    expect([me.status, me.json.email]).toEqual([200, c.email]);
    const audit = await auditOf(c.customerId);
    expect(
      audit.find((a) => a.action === 'customer.signed_in' && JSON.stringify(a).includes('one_time_code')),
    ).toBeDefined();
    const replay = await app.call('POST', '/v1/sessions/mfa', { body: { challengeId, code } });
    expect(replay.status).toBe(422);
  }

  async function withTotpAndPhone() {
    const c = await registerCustomer(app, { phone: '+14155550102' });
    const totp = await enrollTotp(app, c.sessionToken);
    return { ...c, ...totp };
  }

  it('offers the verified channels; a code by SMS signs in, and then TOTP no longer answers that challenge', async () => {
    const c = await withTotpAndPhone();
    const first = await app.call<{ challengeId: string; channels: string[] }>('POST', '/v1/sessions', {
      body: { email: c.email, password: c.password },
    });
    expect(first.json.channels).toEqual(['totp', 'sms', 'email']);
    const sent = await app.call<{ challengeId: string; channel: string }>('POST', '/v1/sessions/mfa/code', {
      body: { challengeId: first.json.challengeId, channel: 'sms' },
    });
    expect(sent.status).toBe(201);
    expect(sent.json).toMatchObject({ challengeId: first.json.challengeId, channel: 'sms' });
    const message = (await outbox(c.sessionToken)).find((m) => m.reference === first.json.challengeId);
    expect(message).toMatchObject({ channel: 'sms', to: c.phone, kind: 'one_time_code' });
    expect(message?.text).toContain('a sign-in');

    const byTotp = await app.call('POST', '/v1/sessions/mfa', {
      body: { challengeId: first.json.challengeId, code: await totpCode(c.secret) },
    });
    expect(byTotp.status).toBe(422);
    await signsInWithSentCode(c, first.json.challengeId);
  });

  it('a code by email signs in (TOTP on, no phone): sent to the verified email, used once', async () => {
    const c = await registerCustomer(app);
    await enrollTotp(app, c.sessionToken);
    const first = await app.call<{ challengeId: string; channels: string[]; sessionToken?: string }>(
      'POST',
      '/v1/sessions',
      { body: { email: c.email, password: c.password } },
    );
    expect(first.status).toBe(200);
    expect(first.json.sessionToken).toBeUndefined();
    expect(first.json.channels).toEqual(['totp', 'email']);
    const sent = await app.call('POST', '/v1/sessions/mfa/code', {
      body: { challengeId: first.json.challengeId, channel: 'email' },
    });
    expect(sent.status).toBe(201);
    expect(sent.json).toMatchObject({ challengeId: first.json.challengeId, channel: 'email' });
    const message = (await outbox(c.sessionToken)).find((m) => m.reference === first.json.challengeId);
    expect(message).toMatchObject({ channel: 'email', to: c.email, kind: 'one_time_code' });

    await signsInWithSentCode(c, first.json.challengeId);
  });

  it('no code to an unverified phone; wrong codes count on the same 2FA lockout', async () => {
    const u = await registerCustomer(app, { verify: false, phone: '+14155550104' });
    await verifyContact(app, u.sessionToken, 'email');
    const totp = await enrollTotp(app, u.sessionToken);
    const first = await app.call<{ challengeId: string; channels: string[] }>('POST', '/v1/sessions', {
      body: { email: u.email, password: u.password },
    });
    expect(first.json.channels).toEqual(['totp', 'email']);
    const sms = await app.call('POST', '/v1/sessions/mfa/code', {
      body: { challengeId: first.json.challengeId, channel: 'sms' },
    });
    expect(sms.status).toBe(422);
    expect(errorOf(sms)).toMatchObject({ code: 'contact_unverified', param: 'channel' });
    expect((await outbox(u.sessionToken)).filter((m) => m.channel === 'sms')).toEqual([]);

    const email = await app.call('POST', '/v1/sessions/mfa/code', {
      body: { challengeId: first.json.challengeId, channel: 'email' },
    });
    expect(email.status).toBe(201);
    const code = await outboxCode(app, u.sessionToken, first.json.challengeId);
    const wrongCode = code === '000000' ? '000001' : '000000';
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await app.call('POST', '/v1/sessions/mfa', {
        body: { challengeId: first.json.challengeId, code: wrongCode },
      });
      statuses.push(res.status);
    }
    expect(statuses).toEqual([422, 422, 422]);
    // The fourth failure in a row waits (the 2FA lockout: 3 free failures), whatever the channel.
    const delayed = await app.call('POST', '/v1/sessions/mfa', {
      body: { challengeId: first.json.challengeId, code: wrongCode },
    });
    expect(delayed.status).toBe(422);
    const blocked = await app.call('POST', '/v1/sessions/mfa', {
      body: { challengeId: first.json.challengeId, code },
    });
    expect(blocked.status).toBe(429);
    expect(errorOf(blocked)).toMatchObject({ code: 'rate_limited' });
    expect(totp.secret).toBeTruthy();
  });
});

describe('password change', () => {
  it('needs the current password and a change_password step-up; ends every other session', async () => {
    const c = await registerCustomer(app);
    const other = await signIn(app, c.email, c.password);
    const newPassword = newCredentials().password;

    const noStepUp = await app.call('POST', '/v1/me/password', {
      auth: c.sessionToken,
      body: { currentPassword: c.password, newPassword },
    });
    expect(noStepUp.status).toBe(403);
    expect(errorOf(noStepUp)).toMatchObject({ code: 'step_up_required' });

    const token = await stepUp(app, c.sessionToken, 'change_password');
    const before = await state();
    const wrongCurrent = await app.call('POST', '/v1/me/password', {
      auth: c.sessionToken,
      headers: { 'Step-Up-Token': token },
      body: { currentPassword: 'Not-My-Password-123', newPassword },
    });
    expect(wrongCurrent.status).toBe(422);
    expect(errorOf(wrongCurrent)).toMatchObject({
      code: 'current_password_incorrect',
      param: 'currentPassword',
    });
    const weak = await app.call('POST', '/v1/me/password', {
      auth: c.sessionToken,
      headers: { 'Step-Up-Token': token },
      body: { currentPassword: c.password, newPassword: `${c.email.split('@')[0]}-2026!x` },
    });
    expect(weak.status).toBe(400);
    expect(errorOf(weak)).toMatchObject({ code: 'password_too_weak', param: 'newPassword' });
    expect(await state()).toEqual(before);

    const changed = await app.call<Json>('POST', '/v1/me/password', {
      auth: c.sessionToken,
      headers: { 'Step-Up-Token': token },
      body: { currentPassword: c.password, newPassword },
    });
    expect(changed.status).toBe(200);
    expect(changed.json).toMatchObject({ object: 'password_change', sessionsRevoked: 1 });
    expect((await app.call('GET', '/v1/me', { auth: other })).status).toBe(401);
    expect((await app.call('GET', '/v1/me', { auth: c.sessionToken })).status).toBe(200);

    const old = await app.call('POST', '/v1/sessions', { body: { email: c.email, password: c.password } });
    expect(old.status).toBe(401);
    await signIn(app, c.email, newPassword);
    // The step-up was used up with the change.
    const reused = await app.call('POST', '/v1/me/password', {
      auth: c.sessionToken,
      headers: { 'Step-Up-Token': token },
      body: { currentPassword: newPassword, newPassword: newCredentials().password },
    });
    expect(errorOf(reused)).toMatchObject({ code: 'step_up_invalid' });
    const alerts = (await outbox(c.sessionToken)).filter((m) => m.kind === 'security_alert');
    expect(alerts.map((m) => m.subject)).toContain('Your Tessera password was changed');
    const actions = (await auditOf(c.customerId)).map((a) => a.action);
    expect(actions).toEqual(
      expect.arrayContaining(['customer.password_change_failed', 'customer.password_changed']),
    );
  });
});

async function requestReset(email: string) {
  return app.call<Json>('POST', '/v1/password-resets', { body: { email } });
}

async function resetToken(c: RegisteredCustomer): Promise<string> {
  const messages = await outbox(c.sessionToken);
  const message = messages.find((m) => m.subject === 'Reset your Tessera password');
  const token = message && /(pwr_[0-9A-Z]{26}\.[A-Za-z0-9_-]{43})/.exec(message.text)?.[1];
  if (!token) throw new Error('no reset code in the outbox');
  return token;
}

describe('password reset', () => {
  it('the same answer for unknown, unverified and verified emails; only the verified one gets a code', async () => {
    const verified = await registerCustomer(app);
    const unverified = await registerCustomer(app, { verify: false });
    const answers = [];
    for (const email of [verified.email, unverified.email, newCredentials().email]) {
      const res = await requestReset(email);
      answers.push({ status: res.status, body: res.json });
    }
    expect(answers[0]).toEqual({
      status: 202,
      body: { object: 'password_reset_request', message: expect.any(String) },
    });
    expect(answers[1]).toEqual(answers[0]);
    expect(answers[2]).toEqual(answers[0]);
    expect(await resetToken(verified)).toMatch(/^pwr_/);
    expect(await outbox(unverified.sessionToken)).toEqual([]);
    const audit = await auditOf(unverified.customerId);
    expect(audit.find((a) => a.action === 'customer.password_reset_refused')).toMatchObject({
      reason: 'email_unverified',
    });
  });

  it('a reset revokes every session, works once, and is audited; the old password stops working', async () => {
    const c = await registerCustomer(app);
    const second = await signIn(app, c.email, c.password);
    expect((await requestReset(c.email)).status).toBe(202);
    const token = await resetToken(c);
    const password = newCredentials().password;
    const done = await app.call<Json>('POST', '/v1/password-resets/confirm', { body: { token, password } });
    expect(done.status).toBe(200);
    expect(done.json).toMatchObject({ object: 'password_reset', sessionsRevoked: 2 });
    for (const session of [c.sessionToken, second]) {
      const res = await app.call('GET', '/v1/me', { auth: session });
      expect(res.status).toBe(401);
      expect(errorOf(res)).toMatchObject({ code: 'session_invalid' });
    }
    expect(
      (await app.call('POST', '/v1/sessions', { body: { email: c.email, password: c.password } })).status,
    ).toBe(401);
    const fresh = await signIn(app, c.email, password);

    const before = await state();
    const reused = await app.call('POST', '/v1/password-resets/confirm', {
      body: { token, password: newCredentials().password },
    });
    expect(reused.status).toBe(422);
    expect(errorOf(reused)).toMatchObject({ code: 'password_reset_invalid', param: 'token' });
    expect(await state()).toEqual(before);
    await signIn(app, c.email, password);

    const audit = await auditOf(c.customerId);
    const actions = audit.map((a) => a.action);
    expect(actions).toEqual(
      expect.arrayContaining(['customer.password_reset_requested', 'customer.password_reset']),
    );
    expect(
      audit.find((a) => a.action === 'customer.sessions_revoked' && a.reason === 'password_reset'),
    ).toBeDefined();
    expect(JSON.stringify(audit)).not.toContain(c.email);
    expect(JSON.stringify(audit)).not.toContain(token.split('.')[1]);
    const alerts = (await outbox(fresh)).filter((m) => m.kind === 'security_alert').map((m) => m.subject);
    expect(alerts).toContain('Your Tessera password was reset');
  });

  it('a code expires after 30 minutes, a wrong secret fails, and a later password change voids it', async () => {
    const c = await registerCustomer(app);
    await requestReset(c.email);
    const token = await resetToken(c);
    const [id] = token.split('.');
    const forged = `${id}.${'A'.repeat(43)}`;
    const password = newCredentials().password;
    const wrong = await app.call('POST', '/v1/password-resets/confirm', {
      body: { token: forged, password },
    });
    expect(errorOf(wrong)).toMatchObject({ code: 'password_reset_invalid' });
    clock.advance(30 * 60_000);
    const late = await app.call('POST', '/v1/password-resets/confirm', { body: { token, password } });
    expect(errorOf(late)).toMatchObject({ code: 'password_reset_invalid' });

    const session = await signIn(app, c.email, c.password);
    await requestReset(c.email);
    const second = (await outbox(session)).find((m) => m.subject === 'Reset your Tessera password');
    const live = second && /(pwr_[0-9A-Z]{26}\.[A-Za-z0-9_-]{43})/.exec(second.text)?.[1];
    expect(live).toBeDefined();
    const approval = await stepUp(app, session, 'change_password');
    const changed = await app.call('POST', '/v1/me/password', {
      auth: session,
      headers: { 'Step-Up-Token': approval },
      body: { currentPassword: c.password, newPassword: newCredentials().password },
    });
    expect(changed.status).toBe(200);
    const voided = await app.call('POST', '/v1/password-resets/confirm', { body: { token: live, password } });
    expect(errorOf(voided)).toMatchObject({ code: 'password_reset_invalid' });
  });

  it('is rate limited per account (3 an hour, unknown emails alike) with Retry-After', async () => {
    const c = await registerCustomer(app);
    const unknown = newCredentials().email;
    for (const email of [c.email, unknown]) {
      for (let i = 0; i < 3; i++) expect((await requestReset(email)).status).toBe(202);
    }
    const limited = await requestReset(c.email);
    const limitedUnknown = await requestReset(unknown);
    for (const res of [limited, limitedUnknown]) {
      expect(res.status).toBe(429);
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    }
    expect({ ...errorOf(limited), requestId: 0 }).toEqual({ ...errorOf(limitedUnknown), requestId: 0 });
  });

  it('is rate limited per client IP (10 an hour across emails)', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) statuses.push((await requestReset(newCredentials().email)).status);
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(202));
    expect(statuses[10]).toBe(429);
  });
});

describe('contact change behind change_contact', () => {
  /** Answers a change's challenge with the code the outbox holds for it. */
  async function confirmChange(c: RegisteredCustomer, challengeId: string) {
    const code = await outboxCode(app, c.sessionToken, challengeId);
    return app.call<Json>('POST', `/v1/me/contact-verifications/${challengeId}/verify`, {
      auth: c.sessionToken,
      body: { code },
    });
  }

  /** Starts a change to `body` with a `change_contact` step-up token (a fresh one unless given). */
  async function startChange(c: RegisteredCustomer, body: Json, token?: string) {
    return app.call<{ challengeId: string; channel: string }>('POST', '/v1/me/contact-changes', {
      auth: c.sessionToken,
      headers: { 'Step-Up-Token': token ?? (await stepUp(app, c.sessionToken, 'change_contact')) },
      body,
    });
  }

  it('a new email: step-up, code to the new address, the old address is told, sign-in moves', async () => {
    const c = await registerCustomer(app);
    const next = newCredentials().email;
    const noStepUp = await app.call('POST', '/v1/me/contact-changes', {
      auth: c.sessionToken,
      body: { email: next },
    });
    expect(noStepUp.status).toBe(403);
    const token = await stepUp(app, c.sessionToken, 'change_contact');
    const started = await startChange(c, { email: next }, token);
    expect(started.status).toBe(201);
    expect(started.json.channel).toBe('email');
    const reused = await app.call('POST', '/v1/me/contact-changes', {
      auth: c.sessionToken,
      headers: { 'Step-Up-Token': token },
      body: { email: newCredentials().email },
    });
    expect(errorOf(reused)).toMatchObject({ code: 'step_up_invalid' });
    const message = (await outbox(c.sessionToken)).find((m) => m.reference === started.json.challengeId);
    expect(message).toMatchObject({ to: next, channel: 'email' });
    // Nothing changes before the code comes back.
    expect((await app.call<Json>('GET', '/v1/me', { auth: c.sessionToken })).json.email).toBe(c.email);

    const done = await confirmChange(c, started.json.challengeId);
    expect(done.status).toBe(200);
    expect(done.json).toMatchObject({ email: next, emailVerified: true });
    const told = (await outbox(c.sessionToken)).find((m) => m.subject === 'Your Tessera email was changed');
    expect(told).toMatchObject({ to: c.email, kind: 'security_alert' });
    expect(told?.text).not.toContain(next);

    expect(
      (await app.call('POST', '/v1/sessions', { body: { email: c.email, password: c.password } })).status,
    ).toBe(401);
    await signIn(app, next, c.password);
    const audit = await auditOf(c.customerId);
    expect(audit.map((a) => a.action)).toContain('customer.contact_changed');
    expect(JSON.stringify(audit)).not.toContain(next);
  });

  it('a new phone: the old verified phone and the email are told', async () => {
    const c = await registerCustomer(app, { phone: '+14155550105' });
    const token = await stepUp(app, c.sessionToken, 'change_contact');
    const started = await startChange(c, { phone: '+14155550106' }, token);
    expect(started.json.channel).toBe('sms');
    const done = await confirmChange(c, started.json.challengeId);
    expect(done.json).toMatchObject({ phone: '+14155550106', phoneVerified: true });
    const told = (await outbox(c.sessionToken)).filter(
      (m) => m.subject === 'Your Tessera phone number was changed',
    );
    expect(told.map((m) => [m.channel, m.to]).sort()).toEqual([
      ['email', c.email],
      ['sms', '+14155550105'],
    ]);
  });

  it("another account's email is refused once the code proved the caller holds it; nothing changes", async () => {
    const c = await registerCustomer(app);
    const taken = await registerCustomer(app);
    const again = await stepUp(app, c.sessionToken, 'change_contact');
    const toTaken = await app.call<{ challengeId: string }>('POST', '/v1/me/contact-changes', {
      auth: c.sessionToken,
      headers: { 'Step-Up-Token': again },
      body: { email: taken.email },
    });
    expect(toTaken.status).toBe(201);
    const takenCode = await outboxCode(app, c.sessionToken, toTaken.json.challengeId);
    const before = await accounts();
    const refused = await app.call(
      'POST',
      `/v1/me/contact-verifications/${toTaken.json.challengeId}/verify`,
      {
        auth: c.sessionToken,
        body: { code: takenCode },
      },
    );
    expect(refused.status).toBe(409);
    expect(errorOf(refused)).toMatchObject({ code: 'email_unavailable' });
    expect(await accounts()).toEqual(before);
  });
});

describe('bad input to every new endpoint: a clear 4xx, nothing written', () => {
  it('public endpoints', async () => {
    const cases: Array<[string, unknown, string]> = [
      ['/v1/password-resets', { email: 'not-an-email' }, 'email'],
      ['/v1/password-resets', { email: 'a@example.com', extra: 1 }, 'extra'],
      ['/v1/password-resets/confirm', { token: 'pwr_junk', password: 'Quiet-Lantern-Harbor-7' }, 'token'],
      [
        '/v1/password-resets/confirm',
        { token: `pwr_01ARZ3NDEKTSV4RRFFQ69G5FAV.${'A'.repeat(43)}`, password: 'short' },
        'password',
      ],
      [
        '/v1/password-resets/confirm',
        { token: `pwr_01ARZ3NDEKTSV4RRFFQ69G5FAV.${'A'.repeat(43)}`, password: 'Password2024!' },
        'password',
      ],
      [
        '/v1/sessions/mfa/code',
        { challengeId: 'chl_01ARZ3NDEKTSV4RRFFQ69G5FAV', channel: 'pigeon' },
        'channel',
      ],
      ['/v1/sessions/mfa/code', { challengeId: 'ord_1', channel: 'sms' }, 'challengeId'],
    ];
    const before = JSON.stringify(await app.scanAll());
    for (const [path, body, param] of cases) {
      const res = await app.call('POST', path, { body });
      expect(res.status, `${path} ${JSON.stringify(body)}`).toBe(400);
      expect(errorOf(res)).toMatchObject({ type: 'invalid_request_error', param });
    }
    const unknown = await app.call('POST', '/v1/sessions/mfa/code', {
      body: { challengeId: 'chl_01ARZ3NDEKTSV4RRFFQ69G5FAV', channel: 'sms' },
    });
    expect(unknown.status).toBe(404);
    expect(JSON.stringify(await app.scanAll())).toBe(before);
  });

  it('signed-in endpoints', async () => {
    const c = await registerCustomer(app);
    const auth = c.sessionToken;
    const cases: Array<[string, unknown, number, string | undefined]> = [
      ['/v1/me/contact-verifications', { contact: 'fax' }, 400, 'contact'],
      ['/v1/me/contact-verifications', {}, 400, 'contact'],
      ['/v1/me/contact-changes', {}, 400, 'email'],
      ['/v1/me/contact-changes', { email: 'a@example.com', phone: '+14155550107' }, 400, 'email'],
      ['/v1/me/contact-changes', { phone: '415-555-0107' }, 400, 'phone'],
      ['/v1/me/contact-changes', { email: 'nope' }, 400, 'email'],
      ['/v1/me/contact-changes', { email: c.email }, 422, 'email'],
      ['/v1/me/contact-verifications/chl_01ARZ3NDEKTSV4RRFFQ69G5FAV/verify', { code: '12345' }, 400, 'code'],
      ['/v1/me/contact-verifications/not-a-challenge/verify', { code: '123456' }, 400, 'challengeId'],
      [
        '/v1/me/contact-verifications/chl_01ARZ3NDEKTSV4RRFFQ69G5FAV/verify',
        { code: '123456' },
        404,
        'challengeId',
      ],
      ['/v1/me/password', { currentPassword: c.password }, 400, 'newPassword'],
      [
        '/v1/me/password',
        { currentPassword: '', newPassword: 'Quiet-Lantern-Harbor-7' },
        400,
        'currentPassword',
      ],
      [
        '/v1/me/password',
        { currentPassword: c.password, newPassword: 'aaaaaaaaaaaaaaaa' },
        400,
        'newPassword',
      ],
    ];
    const before = JSON.stringify(await app.scanAll());
    for (const [path, body, status, param] of cases) {
      const res = await app.call('POST', path, { auth, body });
      expect(res.status, `${path} ${JSON.stringify(body)}`).toBe(status);
      expect(errorOf(res)).toMatchObject({ param, requestId: expect.stringMatching(/^req_/) });
    }
    expect(JSON.stringify(await app.scanAll())).toBe(before);
  });
});
