/**
 * Signing in: the password with progressive lockout (per account and per IP), then the second
 * factor when 2FA is on, then a session. Second factors are 2FA's and sessions are sessions'; this
 * module asks 2FA for a login challenge and to check the answer, and sessions for the session.
 */
import { auditItem } from '../lib/audit.ts';
import { type Clock, clock as defaultClock } from '../lib/clock.ts';
import { unauthorized } from '../lib/errors.ts';
import { ipHash } from '../lib/origin.ts';
import { sendSecurityAlert } from '../lib/security-alert.ts';
import { conflictOnCancel, writeTransaction } from '../lib/transactions.ts';
import { assessRisk, riskRefusal } from '../monitoring/risk.ts';
import { openSession } from '../sessions/access.ts';
import {
  type ChallengeProof,
  checkChallenge,
  completeCheck,
  isTwoFactorActive,
  loginChannels,
  newLoginChallenge,
} from '../twofa/gate.ts';
import { contactOf } from './contacts.ts';
import { deviceHash, type RequestOrigin } from './origin.ts';
import { verifyPassword } from './password.ts';
import { passwordAccepted, recordPasswordFailure, reservePasswordAttempt } from './password-guard.ts';
import type { SignInBody } from './schema.ts';
import type { CustomerRecord } from './store.ts';
import * as store from './store.ts';

const invalidCredentials = () => unauthorized('The email or password is incorrect.', 'invalid_credentials');

export type SignInResult =
  | { sessionToken: string; expiresAt: string }
  | {
      mfaRequired: true;
      challengeId: string;
      expiresAt: string;
      /** `totp`, and `sms` / `email` for each verified address (POST /v1/sessions/mfa/code). */
      channels: Array<'totp' | 'sms' | 'email'>;
    };

/**
 * Password sign-in. Each attempt is counted per account (keyed hash of the email, whether or not
 * it exists) and per IP before the password is checked; a blocked caller gets 429 + Retry-After
 * without a check. The reply to a wrong email and to a wrong password is the same. A right
 * password is then screened by account monitoring (`screenSignIn`).
 */
export async function signIn(
  input: SignInBody,
  origin: RequestOrigin,
  clock: Clock = defaultClock(),
): Promise<SignInResult> {
  const attempt = await reservePasswordAttempt(input.email, origin, clock.now().getTime());
  const customerId = await store.findCustomerIdByEmail(input.email);
  const customer = customerId ? await store.getCustomer(customerId) : undefined;
  const ok = await verifyPassword(input.password, customer?.passwordHash);
  if (!ok || !customer) {
    await recordPasswordFailure(
      customer,
      attempt,
      { action: 'customer.sign_in_failed', actor: 'anonymous' },
      clock,
    );
    throw invalidCredentials();
  }

  await passwordAccepted(attempt);
  const twoFactor = await isTwoFactorActive(customer.id);
  await screenSignIn(customer.id, origin, twoFactor, clock);
  if (twoFactor) {
    const { challenge, item } = newLoginChallenge(customer.id, clock);
    const audit = auditItem(
      {
        action: 'customer.mfa_challenged',
        subject: customer.id,
        actor: customer.id,
        metadata: { challengeId: challenge.id },
      },
      clock,
    );
    await conflictOnCancel(
      () => writeTransaction([item, audit]),
      'The sign-in could not be started. Try again.',
    );
    return {
      mfaRequired: true,
      challengeId: challenge.id,
      expiresAt: new Date(challenge.expiresAtMs).toISOString(),
      channels: await loginChannels(customer.id),
    };
  }
  return startSession(customer, origin, 'password', clock);
}

/**
 * Account monitoring's look at a sign-in with the right password (monitoring/risk.ts): a decline is
 * 402 `risk_declined`; a review goes on to the second factor, and without one is held (403
 * `risk_review_hold`: the customer contacts support).
 */
async function screenSignIn(customerId: string, origin: RequestOrigin, twoFactor: boolean, clock: Clock) {
  const risk = await assessRisk(
    { action: 'sign_in', customerId, deviceId: await deviceHash(origin), ipHash: await ipHash(origin) },
    clock,
  );
  // A review goes on to the second factor; without one it is held.
  const refusal = riskRefusal(risk, { stepUpAvailable: twoFactor });
  if (refusal) throw refusal;
}

/**
 * Second step of a sign-in with 2FA: the login challenge plus a TOTP code, a recovery code, or the
 * one-time code sent to a verified phone or email (`sendLoginCode`).
 */
export async function completeMfa(
  input: { challengeId: string } & ChallengeProof,
  origin: RequestOrigin,
  clock: Clock = defaultClock(),
): Promise<{ sessionToken: string; expiresAt: string }> {
  const { challengeId, ...proof } = input;
  const check = await checkChallenge({ challengeId, purpose: 'login', proof }, clock);
  const customer = await store.getCustomer(check.challenge.customerId);
  if (!customer) throw invalidCredentials();
  const session = await prepareSession(customer, origin, check.method, clock);
  await completeCheck(check, session.items, clock);
  await session.afterCommit();
  return session.result;
}

/** The session for a signed-in customer: its items to commit, and what to do once it exists. */
async function prepareSession(customer: CustomerRecord, origin: RequestOrigin, method: string, clock: Clock) {
  const opened = await openSession(
    { customerId: customer.id, deviceHash: await deviceHash(origin), method },
    clock,
  );
  const { session } = opened;
  return {
    items: opened.items,
    result: opened.result,
    /** After the session exists: remember the device, and alert on a new one. */
    afterCommit: async () => {
      const isNew = await store.rememberDevice(customer.id, session.deviceHash, session.createdAt);
      if (isNew) {
        const device = origin.userAgent.replace(/[^\x20-\x7e]/g, '').slice(0, 120) || 'an unknown device';
        await sendSecurityAlert(
          contactOf(customer),
          'New sign-in to your Tessera account',
          `Your Tessera account was signed in to from a new device (${device}) at ${session.createdAt}. ` +
            'If this was not you, change your password and contact support.',
        );
      }
    },
  };
}

async function startSession(
  customer: CustomerRecord,
  origin: RequestOrigin,
  method: string,
  clock: Clock,
): Promise<{ sessionToken: string; expiresAt: string }> {
  const session = await prepareSession(customer, origin, method, clock);
  await conflictOnCancel(
    () => writeTransaction(session.items),
    'The session could not be created. Try again.',
  );
  await session.afterCommit();
  return session.result;
}
