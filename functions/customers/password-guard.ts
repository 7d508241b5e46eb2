/**
 * The password lockout, shared by every check of a password (sign-in, and the current password of
 * a password change): each attempt is counted per account (keyed hash of the email, whether or not
 * it exists) and per IP BEFORE the password is checked, with the sessions capability's progressive
 * delays and lock (PASSWORD_ACCOUNT_POLICY, PASSWORD_IP_POLICY). A wrong password anywhere counts
 * toward the same lock.
 */
import { auditItem } from '../lib/audit.ts';
import type { Clock } from '../lib/clock.ts';
import { identifierHash } from '../lib/derived-keys.ts';
import { tooManyRequests } from '../lib/errors.ts';
import { logger } from '../lib/logger.ts';
import { sendSecurityAlert } from '../lib/security-alert.ts';
import { type TransactItem, writeTransaction } from '../lib/transactions.ts';
import {
  type GuardState,
  PASSWORD_ACCOUNT_POLICY,
  PASSWORD_IP_POLICY,
  refundAttempt,
  reserveAttempt,
  resetGuard,
} from '../sessions/access.ts';
import { contactOf } from './contacts.ts';
import type { RequestOrigin } from './origin.ts';
import type { CustomerRecord } from './store.ts';

export interface PasswordAttempt {
  account: GuardState;
  ip: GuardState;
  ipKey: string;
  nowMs: number;
}

/** Counts one password attempt for `email` from `origin`; 429 + Retry-After (never saying which guard) when blocked. */
export async function reservePasswordAttempt(
  email: string,
  origin: RequestOrigin,
  nowMs: number,
): Promise<PasswordAttempt> {
  const [emailKey, ipKey] = await Promise.all([
    identifierHash('email', email),
    identifierHash('ip', origin.ip),
  ]);
  const reservation = await reserveAttempt(
    [
      { key: { pk: `GUARD#password-account#${emailKey}`, sk: 'GUARD' }, policy: PASSWORD_ACCOUNT_POLICY },
      { key: { pk: `GUARD#password-ip#${ipKey}`, sk: 'GUARD' }, policy: PASSWORD_IP_POLICY },
    ],
    nowMs,
  );
  if (reservation.kind === 'blocked') {
    throw tooManyRequests('Too many sign-in attempts. Try again later.', reservation.retryAfterMs / 1000);
  }
  const [account, ip] = reservation.guards as [GuardState, GuardState];
  return { account, ip, ipKey, nowMs };
}

/** After a right password: the account's count is forgotten, the IP's gets this attempt back. */
export async function passwordAccepted(attempt: PasswordAttempt): Promise<void> {
  await Promise.all([resetGuard(attempt.account), refundAttempt(attempt.ip, attempt.nowMs)]);
}

/**
 * Audits a wrong password (`action`, e.g. `customer.sign_in_failed`), and at the lock audits
 * `customer.locked` and alerts the (verified) email. An unknown account is only logged, by hashes.
 */
export async function recordPasswordFailure(
  customer: CustomerRecord | undefined,
  attempt: PasswordAttempt,
  input: { action: string; actor: string },
  clock: Clock,
): Promise<void> {
  const { account, ipKey } = attempt;
  if (!customer) {
    logger.info('sign-in failed for an unknown account', {
      ipHash: ipKey,
      failures: account.failures,
    });
    return;
  }
  const locked = account.failures >= PASSWORD_ACCOUNT_POLICY.lockAt;
  const items: TransactItem[] = [
    auditItem(
      {
        action: input.action,
        subject: customer.id,
        actor: input.actor,
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
      contactOf(customer),
      'Sign-in locked',
      `After ${account.failures} wrong passwords in a row, sign-in to your Tessera account is locked for ` +
        `${PASSWORD_ACCOUNT_POLICY.lockMs / 60_000} minutes. If this was not you, change your password.`,
    );
  }
}
