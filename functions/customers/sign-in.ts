/**
 * Signing in: the password with progressive lockout (per account and per IP), then the second
 * factor when 2FA is on, then a session. Second factors are 2FA's and sessions are sessions'; this
 * module asks 2FA for a login challenge and to check the answer, and sessions for the session.
 */
import { auditItem } from '../lib/audit.ts';
import { type Clock, clock as defaultClock } from '../lib/clock.ts';
import { identifierHash } from '../lib/derived-keys.ts';
import { tooManyRequests, unauthorized } from '../lib/errors.ts';
import { logger } from '../lib/logger.ts';
import { sendSecurityAlert } from '../lib/security-alert.ts';
import { conflictOnCancel, type TransactItem, writeTransaction } from '../lib/transactions.ts';
import {
  type GuardKey,
  type GuardState,
  openSession,
  PASSWORD_ACCOUNT_POLICY,
  PASSWORD_IP_POLICY,
  refundAttempt,
  reserveAttempt,
  resetGuard,
} from '../sessions/access.ts';
import {
  type ChallengeProof,
  checkChallenge,
  completeCheck,
  isTwoFactorActive,
  newLoginChallenge,
} from '../twofa/gate.ts';
import { deviceHash, type RequestOrigin } from './origin.ts';
import { verifyPassword } from './password.ts';
import type { SignInBody } from './schema.ts';
import type { CustomerRecord } from './store.ts';
import * as store from './store.ts';

const invalidCredentials = () => unauthorized('The email or password is incorrect.', 'invalid_credentials');

export type SignInResult =
  | { sessionToken: string; expiresAt: string }
  | { mfaRequired: true; challengeId: string; expiresAt: string };

/**
 * Password sign-in. Each attempt is counted per account (keyed hash of the email, whether or not
 * it exists) and per IP before the password is checked; a blocked caller gets 429 + Retry-After
 * without a check. The reply to a wrong email and to a wrong password is the same.
 */
export async function signIn(
  input: SignInBody,
  origin: RequestOrigin,
  clock: Clock = defaultClock(),
): Promise<SignInResult> {
  const nowMs = clock.now().getTime();
  const [emailKey, ipKey] = await Promise.all([
    identifierHash('email', input.email),
    identifierHash('ip', origin.ip),
  ]);
  const accountGuard: GuardKey = { pk: `GUARD#password-account#${emailKey}`, sk: 'GUARD' };
  const ipGuard: GuardKey = { pk: `GUARD#password-ip#${ipKey}`, sk: 'GUARD' };
  const reservation = await reserveAttempt(
    [
      { key: accountGuard, policy: PASSWORD_ACCOUNT_POLICY },
      { key: ipGuard, policy: PASSWORD_IP_POLICY },
    ],
    nowMs,
  );
  if (reservation.kind === 'blocked') {
    // Never says whether the account or the address is blocked.
    throw tooManyRequests('Too many sign-in attempts. Try again later.', reservation.retryAfterMs / 1000);
  }
  const [account, ip] = reservation.guards as [GuardState, GuardState];

  const customerId = await store.findCustomerIdByEmail(input.email);
  const customer = customerId ? await store.getCustomer(customerId) : undefined;
  const ok = await verifyPassword(input.password, customer?.passwordHash);
  if (!ok || !customer) {
    await recordPasswordFailure(customer, account, ipKey, clock);
    throw invalidCredentials();
  }

  await Promise.all([resetGuard(account), refundAttempt(ip, nowMs)]);
  if (await isTwoFactorActive(customer.id)) {
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
    };
  }
  return startSession(customer, origin, 'password', clock);
}

async function recordPasswordFailure(
  customer: CustomerRecord | undefined,
  account: GuardState,
  ipKey: string,
  clock: Clock,
): Promise<void> {
  if (!customer) {
    // No account to audit under; the log line carries only keyed hashes.
    logger.info('sign-in failed for an unknown account', { ipHash: ipKey, failures: account.failures });
    return;
  }
  const locked = account.failures >= PASSWORD_ACCOUNT_POLICY.lockAt;
  const items: TransactItem[] = [
    auditItem(
      {
        action: 'customer.sign_in_failed',
        subject: customer.id,
        actor: 'anonymous',
        reason: 'password',
        metadata: { consecutiveFailures: account.failures, ipHash: ipKey },
      },
      clock,
    ),
  ];
  if (locked) {
    items.push(
      auditItem(
        {
          action: 'customer.locked',
          subject: customer.id,
          actor: 'system:sign-in',
          reason: 'consecutive_password_failures',
          metadata: {
            consecutiveFailures: account.failures,
            lockMinutes: PASSWORD_ACCOUNT_POLICY.lockMs / 60_000,
          },
        },
        clock,
      ),
    );
  }
  await writeTransaction(items);
  if (locked) {
    await sendSecurityAlert(
      { customerId: customer.id, email: customer.email },
      'Sign-in locked',
      `After ${account.failures} wrong passwords in a row, sign-in to your Tessera account is locked for ` +
        `${PASSWORD_ACCOUNT_POLICY.lockMs / 60_000} minutes. If this was not you, change your password.`,
    );
  }
}

/** Second step of a sign-in with 2FA: the login challenge plus a TOTP code or a recovery code. */
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
          { customerId: customer.id, email: customer.email },
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
