/**
 * TOTP enrollment (RFC 6238): a new secret, encrypted at rest, that turns 2FA on only once a first
 * valid code confirms it; the confirmation yields the 10 single-use recovery codes (shown once).
 */
import { auditItem } from '../lib/audit.ts';
import { type Clock, clock as defaultClock } from '../lib/clock.ts';
import { conflict, notFound, unprocessable } from '../lib/errors.ts';
import { transact } from '../lib/transact.ts';
import { generateRecoveryCodes } from './codes.ts';
import { contacts, securityAlert } from './contacts.ts';
import { codeInvalid } from './errors.ts';
import { codePepper } from './keys.ts';
import { MAX_ENROLLMENT_CHECKS } from './policy.ts';
import { openSecret, sealSecret } from './secret.ts';
import type { TwoFactorRecord } from './store.ts';
import * as store from './store.ts';
import { generateTotpSecret, otpauthUri, verifyTotp } from './totp.ts';

const alreadyEnabled = () =>
  conflict('two_factor_already_enabled', 'Two-factor authentication is already on.');

export async function isTwoFactorActive(customerId: string): Promise<boolean> {
  return (await store.getTwoFactor(customerId))?.status === 'active';
}

/**
 * Starts (or restarts) an enrollment: `{ secret, otpauthUri }` for the authenticator app. Throws
 * 404 for an unknown customer and 409 `two_factor_already_enabled` when 2FA is already on.
 */
export async function startTotpEnrollment(customerId: string, clock: Clock = defaultClock()) {
  const [customer, existing] = await Promise.all([
    contacts().find(customerId),
    store.getTwoFactor(customerId),
  ]);
  if (!customer) throw notFound('No such customer.');
  if (existing?.status === 'active') throw alreadyEnabled();
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
  if (!(await store.putPendingTwoFactor(record))) throw alreadyEnabled();
  await transact([
    auditItem({ action: 'twofa.enrollment_started', subject: customerId, actor: customerId }, clock),
  ]);
  return {
    secret,
    otpauthUri: otpauthUri({ secret, accountName: customer.email.replaceAll(':', '') }),
  };
}

/**
 * The first valid code turns the factor on and yields the 10 recovery codes (shown once). Throws
 * 409 (no enrollment, already on, a concurrent change) and 422 (wrong code, or more than
 * `MAX_ENROLLMENT_CHECKS` tries on this enrollment).
 */
export async function confirmTotpEnrollment(customerId: string, code: string, clock: Clock = defaultClock()) {
  const factor = await store.getTwoFactor(customerId);
  if (!factor) {
    throw conflict('enrollment_missing', 'Start an enrollment first (POST /v1/me/2fa/totp).');
  }
  if (factor.status === 'active') throw alreadyEnabled();
  if (!(await store.reserveEnrollmentCheck(factor, MAX_ENROLLMENT_CHECKS))) {
    throw unprocessable(
      'enrollment_attempts_exceeded',
      'Too many wrong codes for this enrollment. Start it again.',
      'code',
    );
  }
  const now = clock.now();
  const result = await verifyTotp(await openSecret(factor), code, now);
  if (!result.ok) throw codeInvalid();
  const codes = generateRecoveryCodes(await codePepper(), customerId);
  const outcome = await transact([
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
  ]);
  if (!outcome.ok) throw conflict('concurrent_update', 'The enrollment changed meanwhile. Start it again.');
  await securityAlert(
    customerId,
    'Two-factor authentication is on',
    'Two-factor authentication was turned on for your Tessera account. If this was not you, contact support now.',
  );
  return { recoveryCodes: codes.map((c) => c.code) };
}
