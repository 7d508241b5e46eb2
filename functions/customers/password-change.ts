/**
 * Changing the password while signed in: the current password (counted on the sign-in lockout, so
 * a stolen session cannot guess it), a `change_password` step-up (TOTP when 2FA is on, else a code
 * to a verified address), a new password that passes the policy. The change ends every OTHER
 * session and is told to the account's verified email (NIST SP 800-63B §5.1.1, OWASP Authentication
 * Cheat Sheet "Changing a user's password").
 */
import { auditItem } from '../lib/audit.ts';
import { type Clock, clock as defaultClock } from '../lib/clock.ts';
import { badRequest, domainError, unauthorized } from '../lib/errors.ts';
import { sendSecurityAlert } from '../lib/security-alert.ts';
import { type TransactItem, Transaction } from '../lib/transactions.ts';
import { revokeOtherSessions } from '../sessions/access.ts';
import { commitWithStepUp } from '../twofa/gate.ts';
import { contactOf } from './contacts.ts';
import type { RequestOrigin } from './origin.ts';
import {
  checkPasswordStrength,
  hashPassword,
  PASSWORD_PROBLEM_MESSAGES,
  verifyPassword,
} from './password.ts';
import { passwordAccepted, recordPasswordFailure, reservePasswordAttempt } from './password-guard.ts';
import type { ChangePasswordBody } from './schema.ts';
import type { CustomerRecord } from './store.ts';
import * as store from './store.ts';

/** 400 `password_too_weak` (at `field`) when the new password breaks the policy with this account's email. */
export function assertStrongFor(customer: CustomerRecord, password: string, field: string): void {
  const [problem] = checkPasswordStrength(password, { email: customer.email });
  if (problem !== undefined) throw badRequest('password_too_weak', PASSWORD_PROBLEM_MESSAGES[problem], field);
}

/** A new password hash for `customer`, with its audit: the part of a change or a reset that writes. */
export async function newPasswordChange(
  customer: CustomerRecord,
  password: string,
  audit: { action: string; actor: string; metadata?: Record<string, string> },
  clock: Clock,
) {
  const at = clock.now().toISOString();
  const items: TransactItem[] = [
    store.setPasswordItem(customer, await hashPassword(password), at),
    auditItem({ ...audit, subject: customer.id }, clock),
  ];
  return { at, items };
}

/**
 * Once a new password is stored: ends the customer's sessions (all but `keepSessionId`, audited with
 * `reason`) and tells the verified email. Returns how many sessions ended.
 */
export async function afterPasswordSet(
  customer: CustomerRecord,
  revoke: { reason: string; keepSessionId?: string },
  [subject, text]: [string, string],
  clock: Clock,
): Promise<number> {
  const sessionsRevoked = await revokeOtherSessions({ customerId: customer.id, ...revoke }, clock);
  await sendSecurityAlert(contactOf(customer), subject, text);
  return sessionsRevoked;
}

/**
 * Changes the signed-in customer's password. Order: the new password's policy (400), the current
 * password (422 `current_password_incorrect`, counted; 429 once locked), then the step-up
 * (`approve`: 403 `step_up_required` / `step_up_invalid`), all before anything but the lockout
 * count is written. Then the new hash, the step-up's single use and the audit in one transaction;
 * every other session ends. Returns when and how many sessions ended.
 */
export async function changePassword(
  who: { customerId: string; sessionId: string },
  body: ChangePasswordBody,
  origin: RequestOrigin,
  approve: () => Promise<TransactItem>,
  clock: Clock = defaultClock(),
) {
  const customer = await store.getCustomer(who.customerId);
  if (!customer) throw unauthorized('The session has ended.', 'session_invalid');
  assertStrongFor(customer, body.newPassword, 'newPassword');
  const attempt = await reservePasswordAttempt(customer.email, origin, clock.now().getTime());
  if (!(await verifyPassword(body.currentPassword, customer.passwordHash))) {
    await recordPasswordFailure(
      customer,
      attempt,
      { action: 'customer.password_change_failed', actor: customer.id },
      clock,
    );
    throw domainError(
      'rejected',
      'current_password_incorrect',
      'The current password is not correct.',
      'currentPassword',
    );
  }
  await passwordAccepted(attempt);
  const stepUp = await approve();
  const { at, items } = await newPasswordChange(
    customer,
    body.newPassword,
    { action: 'customer.password_changed', actor: customer.id, metadata: { sessionId: who.sessionId } },
    clock,
  );
  await commitWithStepUp(stepUp, new Transaction<'change'>().add('change', ...items), () =>
    domainError('conflict', 'concurrent_update', 'The account changed meanwhile. Try again.'),
  );
  const sessionsRevoked = await afterPasswordSet(
    customer,
    { reason: 'password_changed', keepSessionId: who.sessionId },
    [
      'Your Tessera password was changed',
      'The password of your Tessera account was changed, and every other session was signed out. ' +
        'If this was not you, reset your password and contact support now.',
    ],
    clock,
  );
  return { object: 'password_change' as const, changedAt: at, sessionsRevoked };
}
