/**
 * Shopper helpers for e2e tests, all through real HTTP against the local gateway:
 * register + sign in, enroll TOTP, sign in with MFA, and obtain a step-up token (reading the
 * one-time code from the sandbox outbox, or computing a TOTP code).
 */
import { randomBytes } from 'node:crypto';
import { clock, offsetClock, setClock } from '../../functions/lib/clock.ts';
import { TOTP_PERIOD_SECONDS, totpAt, totpStep } from '../../functions/twofa/totp.ts';
import type { ApiResponse, TestApp } from './app.ts';

export interface RegisteredCustomer {
  customerId: string;
  email: string;
  password: string;
  phone?: string;
  sessionToken: string;
}

export type StepUpActionName =
  | 'add_card'
  | 'withdrawal'
  | 'credit_application'
  | 'authorize_checkout'
  | 'enable_2fa'
  | 'disable_2fa'
  | 'regenerate_recovery_codes'
  | 'change_contact'
  | 'change_password';

export interface StepUpBinding {
  amount?: { amount: number; currency: string };
  payee?: string;
}

function expectStatus(res: ApiResponse<unknown>, status: number, what: string): void {
  if (res.status !== status) throw new Error(`${what}: expected ${status}, got ${res.status} ${res.text}`);
}

/** A fresh email and a password that passes the strength policy. */
export function newCredentials(): { email: string; password: string } {
  const id = randomBytes(6).toString('hex');
  return {
    email: `shopper-${id}@example.com`,
    password: `Quiet-Lantern-${randomBytes(9).toString('base64url')}`,
  };
}

/**
 * Verifies the signed-in customer's email or phone: a code to it (read from the outbox), answered.
 * Only a verified address receives step-up codes and security alerts.
 */
export async function verifyContact(
  app: TestApp,
  sessionToken: string,
  contact: 'email' | 'phone',
): Promise<void> {
  const started = await app.call<{ challengeId: string }>('POST', '/v1/me/contact-verifications', {
    auth: sessionToken,
    body: { contact },
  });
  expectStatus(started, 201, `start ${contact} verification`);
  const code = await outboxCode(app, sessionToken, started.json.challengeId);
  const verified = await app.call('POST', `/v1/me/contact-verifications/${started.json.challengeId}/verify`, {
    auth: sessionToken,
    body: { code },
  });
  expectStatus(verified, 200, `verify ${contact}`);
}

/**
 * Registers a shopper and signs in (no 2FA yet, so the session comes straight back), then verifies
 * the email (and the phone, if given) unless `verify: false`.
 */
export async function registerCustomer(
  app: TestApp,
  opts: { email?: string; password?: string; phone?: string; verify?: boolean } = {},
): Promise<RegisteredCustomer> {
  const fresh = newCredentials();
  const email = opts.email ?? fresh.email;
  const password = opts.password ?? fresh.password;
  const created = await app.call<{ id: string; email: string }>('POST', '/v1/customers', {
    body: { email, password, ...(opts.phone ? { phone: opts.phone } : {}) },
  });
  expectStatus(created, 201, 'register');
  const sessionToken = await signIn(app, email, password);
  if (opts.verify !== false) {
    await verifyContact(app, sessionToken, 'email');
    if (opts.phone) await verifyContact(app, sessionToken, 'phone');
  }
  return {
    customerId: created.json.id,
    email: created.json.email,
    password,
    ...(opts.phone ? { phone: opts.phone } : {}),
    sessionToken,
  };
}

// The last TOTP step each secret was used at, so no helper call ever replays a code.
const lastUsedStep = new Map<string, number>();

/**
 * Moves the injected clock forward to `ms`: a fixedClock is advanced; any other clock is wrapped in
 * an offset clock (the gateway runs in-process, so the handlers see the same time).
 */
function advanceTo(ms: number): void {
  const current = clock();
  const now = current.now().getTime();
  if (ms <= now) return;
  const movable = current as { advance?: (ms: number) => void };
  if (typeof movable.advance === 'function') movable.advance(ms - now);
  else setClock(offsetClock(ms - now, current));
}

/**
 * A TOTP code the server will accept now: the current step, or the next one (inside the ±1 step
 * window) if the current was already used; past that, time is advanced to a fresh step.
 */
export async function totpCode(secret: string): Promise<string> {
  const current = totpStep(clock().now());
  const last = lastUsedStep.get(secret);
  let step = last === undefined ? current : Math.max(current, last + 1);
  if (step > current + 1) {
    advanceTo(step * TOTP_PERIOD_SECONDS * 1000);
    step = Math.max(totpStep(clock().now()), step);
  }
  lastUsedStep.set(secret, step);
  return totpAt(secret, step * TOTP_PERIOD_SECONDS);
}

/** Turns TOTP on: a step-up for `enable_2fa`, enrollment, then confirmation with a valid code. */
export async function enrollTotp(
  app: TestApp,
  sessionToken: string,
): Promise<{ secret: string; otpauthUri: string; recoveryCodes: string[] }> {
  const approval = await stepUp(app, sessionToken, 'enable_2fa');
  const enrolled = await app.call<{ secret: string; otpauthUri: string }>('POST', '/v1/me/2fa/totp', {
    auth: sessionToken,
    headers: { 'Step-Up-Token': approval },
  });
  expectStatus(enrolled, 200, 'enroll TOTP');
  const { secret, otpauthUri } = enrolled.json;
  const confirmed = await app.call<{ recoveryCodes: string[] }>('POST', '/v1/me/2fa/totp/confirm', {
    auth: sessionToken,
    body: { code: await totpCode(secret) },
  });
  expectStatus(confirmed, 200, 'confirm TOTP');
  return { secret, otpauthUri, recoveryCodes: confirmed.json.recoveryCodes };
}

/** Password sign-in, completing the TOTP challenge when 2FA is on. Returns the session token. */
export async function signIn(
  app: TestApp,
  email: string,
  password: string,
  totpSecret?: string,
): Promise<string> {
  const res = await app.call<{ sessionToken?: string; mfaRequired?: boolean; challengeId?: string }>(
    'POST',
    '/v1/sessions',
    { body: { email, password } },
  );
  expectStatus(res, 200, 'sign in');
  if (res.json.sessionToken) return res.json.sessionToken;
  if (!totpSecret) throw new Error('sign in: 2FA is on; pass the TOTP secret');
  const mfa = await app.call<{ sessionToken: string }>('POST', '/v1/sessions/mfa', {
    body: { challengeId: res.json.challengeId, code: await totpCode(totpSecret) },
  });
  expectStatus(mfa, 200, 'sign in (MFA)');
  return mfa.json.sessionToken;
}

/** The one-time code sent for `challengeId`, read from the local outbox. */
export async function outboxCode(app: TestApp, sessionToken: string, challengeId: string): Promise<string> {
  const outbox = await app.call<{ data: Array<{ reference?: string; text: string }> }>(
    'GET',
    '/v1/me/outbox',
    {
      auth: sessionToken,
    },
  );
  expectStatus(outbox, 200, 'outbox');
  const message = outbox.json.data.find((m) => m.reference === challengeId);
  const code = message ? /code is (\d{6})\b/.exec(message.text)?.[1] : undefined;
  if (!code) throw new Error(`outbox: no code for ${challengeId}`);
  return code;
}

/**
 * A step-up token for `action` (and, for money, the amount and payee it must match). Customers
 * without TOTP get a one-time code through the outbox; with TOTP, pass its secret.
 */
export async function stepUp(
  app: TestApp,
  sessionToken: string,
  action: StepUpActionName,
  binding: StepUpBinding = {},
  totpSecret?: string,
): Promise<string> {
  const started = await app.call<{ challengeId: string; channel: 'totp' | 'sms' | 'email' }>(
    'POST',
    '/v1/me/step-up',
    { auth: sessionToken, body: { action, ...binding } },
  );
  expectStatus(started, 201, 'start step-up');
  const { challengeId, channel } = started.json;
  let code: string;
  if (channel === 'totp') {
    if (!totpSecret) throw new Error('step-up: the customer has TOTP on; pass its secret');
    code = await totpCode(totpSecret);
  } else {
    code = await outboxCode(app, sessionToken, challengeId);
  }
  const verified = await app.call<{ stepUpToken: string }>('POST', `/v1/me/step-up/${challengeId}/verify`, {
    auth: sessionToken,
    body: { code },
  });
  expectStatus(verified, 200, 'verify step-up');
  return verified.json.stepUpToken;
}
