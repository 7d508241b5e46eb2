/**
 * Customer accounts: registration, password sign-in with progressive lockout, MFA completion,
 * sessions and sign-out. Second factors live in functions/twofa; this module only asks it for a
 * login challenge and to check the answer.
 */
import { auditItem } from '../lib/audit.ts';
import { type Clock, clock as defaultClock } from '../lib/clock.ts';
import { conflict, tooManyRequests, unauthorized } from '../lib/errors.ts';
import type { TransactItem } from '../lib/idempotency.ts';
import { newId } from '../lib/ids.ts';
import { logger } from '../lib/logger.ts';
import { type GuardKey, type GuardState, refundAttempt, reserveAttempt, resetGuard } from '../twofa/guard.ts';
import { identifierHash } from '../twofa/keys.ts';
import { PASSWORD_ACCOUNT_POLICY, PASSWORD_IP_POLICY } from '../twofa/policy.ts';
import type { ChallengeProof } from '../twofa/schema.ts';
import {
  checkChallenge,
  completeCheck,
  isTwoFactorActive,
  newLoginChallenge,
  securityAlert,
} from '../twofa/service.ts';
import { transact } from '../twofa/store.ts';
import { signSessionToken } from '../twofa/tokens.ts';
import { hashPassword, verifyPassword } from './password.ts';
import type { CustomerResponse, RegisterCustomerBody, SignInBody } from './schema.ts';
import type { CustomerRecord, SessionRecord } from './store.ts';
import * as store from './store.ts';

/** Where a request came from, for lockout per IP and new-device alerts. */
export interface RequestOrigin {
  ip: string;
  userAgent: string;
}

export function toResponse(customer: CustomerRecord, twoFactorEnabled: boolean): CustomerResponse {
  return {
    id: customer.id,
    object: 'customer',
    email: customer.email,
    ...(customer.phone ? { phone: customer.phone } : {}),
    twoFactorEnabled,
    createdAt: customer.createdAt,
  };
}

const deviceHash = (origin: RequestOrigin) =>
  identifierHash('device', `${origin.userAgent.slice(0, 512)}\n${origin.ip}`);

export async function register(
  input: RegisterCustomerBody,
  origin: RequestOrigin,
  clock: Clock = defaultClock(),
): Promise<CustomerResponse> {
  const now = clock.now();
  const at = now.toISOString();
  // Hash before looking at uniqueness, so a duplicate takes as long as a new account.
  const passwordHash = await hashPassword(input.password);
  const customer: CustomerRecord = {
    id: newId('customer', now),
    email: input.email,
    ...(input.phone ? { phone: input.phone } : {}),
    passwordHash,
    createdAt: at,
    updatedAt: at,
    version: 1,
  };
  const outcome = await transact([
    ...store.createCustomerItems(customer),
    // The device that registered is known, so its first sign-in raises no alert.
    store.knownDeviceItem(customer.id, await deviceHash(origin), at),
    auditItem({ action: 'customer.registered', subject: customer.id, actor: customer.id }, clock),
  ]);
  if (!outcome.ok) {
    if (outcome.reasons[store.EMAIL_CLAIM_INDEX] === 'ConditionalCheckFailed') {
      // Says nothing about the other account (verified or not, 2FA or not).
      throw conflict(
        'email_unavailable',
        'This email address cannot be used to register. If it is yours, sign in.',
      );
    }
    throw conflict('concurrent_update', 'The account could not be created. Try again.');
  }
  return toResponse(customer, false);
}

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
    await transact([
      item,
      auditItem(
        {
          action: 'customer.mfa_challenged',
          subject: customer.id,
          actor: customer.id,
          metadata: { challengeId: challenge.id },
        },
        clock,
      ),
    ]);
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
  await transact(items);
  if (locked) {
    await securityAlert(
      customer.id,
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

async function prepareSession(customer: CustomerRecord, origin: RequestOrigin, method: string, clock: Clock) {
  const now = clock.now();
  const session: SessionRecord = {
    id: newId('session', now),
    customerId: customer.id,
    status: 'active',
    deviceHash: await deviceHash(origin),
    createdAt: now.toISOString(),
    expiresAtMs: 0,
  };
  const { token, expiresAt } = await signSessionToken(
    { customerId: customer.id, sessionId: session.id },
    now,
  );
  session.expiresAtMs = expiresAt.getTime();
  const items: TransactItem[] = [
    store.putSessionItem(session),
    auditItem(
      {
        action: 'customer.signed_in',
        subject: customer.id,
        actor: customer.id,
        metadata: { sessionId: session.id, method },
      },
      clock,
    ),
  ];
  return {
    items,
    result: { sessionToken: token, expiresAt: expiresAt.toISOString() },
    /** After the session exists: remember the device, and alert on a new one. */
    afterCommit: async () => {
      const isNew = await store.rememberDevice(customer.id, session.deviceHash, session.createdAt);
      if (isNew) {
        const device = origin.userAgent.replace(/[^\x20-\x7e]/g, '').slice(0, 120) || 'an unknown device';
        await securityAlert(
          customer.id,
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
  const outcome = await transact(session.items);
  if (!outcome.ok) throw conflict('concurrent_update', 'The session could not be created. Try again.');
  await session.afterCommit();
  return session.result;
}

/** Revokes the current session at once; its token is refused from the next request on. */
export async function signOut(customerId: string, sessionId: string, clock: Clock = defaultClock()) {
  const outcome = await transact([
    store.revokeSessionItem(sessionId, customerId, clock.now().toISOString()),
    auditItem(
      { action: 'customer.signed_out', subject: customerId, actor: customerId, metadata: { sessionId } },
      clock,
    ),
  ]);
  if (!outcome.ok) throw unauthorized('The session has already ended.', 'session_invalid');
}

export async function getProfile(customerId: string): Promise<CustomerResponse> {
  const customer = await store.getCustomer(customerId);
  if (!customer) throw unauthorized('The session has ended.', 'session_invalid');
  return toResponse(customer, await isTwoFactorActive(customerId));
}
