/**
 * TOTP enrollment (RFC 6238): a new secret, encrypted at rest, that turns 2FA on only once a first
 * valid code confirms it; the confirmation yields the 10 single-use recovery codes (shown once).
 *
 * Starting needs a fresh `enable_2fa` step-up (a one-time code to the customer's existing phone or
 * email), so a stolen session alone cannot bind an attacker's authenticator; turning 2FA on ends
 * every other session of the customer.
 */
import { auditItem } from '../lib/audit.ts';
import { type Clock, clock as defaultClock } from '../lib/clock.ts';
import { domainError } from '../lib/errors.ts';
import { conflictOnCancel, type TransactItem, Transaction, writeTransaction } from '../lib/transactions.ts';
import { revokeOtherSessions } from '../sessions/access.ts';
import { generateRecoveryCodes } from './codes.ts';
import { contacts, securityAlert } from './contacts.ts';
import { codeInvalid } from './errors.ts';
import { codePepper } from './keys.ts';
import { MAX_ENROLLMENT_CHECKS } from './policy.ts';
import { openSecret, sealSecret } from './secret.ts';
import { commitWithStepUp } from './step-up-gate.ts';
import type { TwoFactorRecord } from './store.ts';
import * as store from './store.ts';
import { generateTotpSecret, otpauthUri, verifyTotp } from './totp.ts';

const alreadyEnabled = () =>
  domainError('conflict', 'two_factor_already_enabled', 'Two-factor authentication is already on.');

export async function isTwoFactorActive(customerId: string): Promise<boolean> {
  return (await store.getTwoFactor(customerId))?.status === 'active';
}

/**
 * Starts (or restarts) an enrollment: `{ secret, otpauthUri }` for the authenticator app.
 * `approve` yields the `enable_2fa` step-up item (the gate's `requireStepUp`), asked only once the
 * customer may enroll; it is used up in the same transaction as the new secret. Throws 404 for an
 * unknown customer, 409 `two_factor_already_enabled` when 2FA is already on, and what the gate
 * throws (403 `step_up_required` / `step_up_invalid`, also for a token already used).
 */
export async function startTotpEnrollment(
  customerId: string,
  approve: () => Promise<TransactItem>,
  clock: Clock = defaultClock(),
) {
  const [customer, existing] = await Promise.all([
    contacts().find(customerId),
    store.getTwoFactor(customerId),
  ]);
  if (!customer) throw domainError('not_found', 'resource_missing', 'No such customer.');
  if (existing?.status === 'active') throw alreadyEnabled();
  const stepUp = await approve();
  const secret = generateTotpSecret();
  const { sealed, keyId } = await sealSecret(customerId, secret);
  const record: TwoFactorRecord = {
    customerId,
    status: 'pending',
    secret: sealed,
    keyId,
    confirmAttempts: 0,
    createdAt: clock.now().toISOString(),
    version: 1,
  };
  const enrollment = new Transaction<'factor' | 'audit'>()
    .add('factor', store.putPendingTwoFactorItem(record))
    .add(
      'audit',
      auditItem({ action: 'twofa.enrollment_started', subject: customerId, actor: customerId }, clock),
    );
  await commitWithStepUp(stepUp, enrollment, (cancelled) =>
    cancelled.lost('factor')
      ? alreadyEnabled()
      : domainError('conflict', 'concurrent_update', 'The enrollment changed meanwhile. Start it again.'),
  );
  return {
    secret,
    otpauthUri: otpauthUri({ secret, accountName: customer.email.replaceAll(':', '') }),
  };
}

/**
 * The first valid code turns the factor on and yields the 10 recovery codes (shown once); every
 * session of the customer but `sessionId` (the one confirming) ends. Throws 409 (no enrollment,
 * already on, a concurrent change) and 422 (wrong code, or more than `MAX_ENROLLMENT_CHECKS` tries
 * on this enrollment).
 */
export async function confirmTotpEnrollment(
  who: { customerId: string; sessionId?: string },
  code: string,
  clock: Clock = defaultClock(),
) {
  const { customerId } = who;
  const factor = await store.getTwoFactor(customerId);
  if (!factor) {
    throw domainError('conflict', 'enrollment_missing', 'Start an enrollment first (POST /v1/me/2fa/totp).');
  }
  if (factor.status === 'active') throw alreadyEnabled();
  if (!(await store.reserveEnrollmentCheck(factor, MAX_ENROLLMENT_CHECKS))) {
    throw domainError(
      'rejected',
      'enrollment_attempts_exceeded',
      'Too many wrong codes for this enrollment. Start it again.',
      'code',
    );
  }
  const now = clock.now();
  const result = await verifyTotp(await openSecret(factor), code, now);
  if (!result.ok) throw codeInvalid();
  const codes = generateRecoveryCodes(await codePepper(), customerId);
  const activation = [
    store.activateTwoFactorItem(
      factor,
      result.step,
      codes.map((c) => c.hash),
      now.toISOString(),
    ),
    auditItem(
      { action: 'twofa.enrolled', subject: customerId, actor: customerId, metadata: { factor: 'totp' } },
      clock,
    ),
  ];
  await conflictOnCancel(
    () => writeTransaction(activation),
    'The enrollment changed meanwhile. Start it again.',
  );
  await revokeOtherSessions(
    { customerId, ...(who.sessionId ? { keepSessionId: who.sessionId } : {}), reason: 'two_factor_enabled' },
    clock,
  );
  await securityAlert(
    customerId,
    'Two-factor authentication is on',
    'Two-factor authentication was turned on for your Tessera account, and every other session was signed out. ' +
      'If this was not you, contact support now.',
  );
  return { recoveryCodes: codes.map((c) => c.code) };
}
