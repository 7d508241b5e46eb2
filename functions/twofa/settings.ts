/**
 * Changes to an active second factor, each committed with the step-up that approved it: turning
 * 2FA off, and replacing every recovery code. The customer is alerted after each.
 */
import { auditItem } from '../lib/audit.ts';
import { type Clock, clock as defaultClock } from '../lib/clock.ts';
import { domainError } from '../lib/errors.ts';
import { type TransactItem, Transaction } from '../lib/transactions.ts';
import { generateRecoveryCodes } from './codes.ts';
import { securityAlert } from './contacts.ts';
import { codePepper } from './keys.ts';
import { commitWithStepUp } from './step-up-gate.ts';
import * as store from './store.ts';

const changedMeanwhile = () =>
  domainError('conflict', 'concurrent_update', 'Two-factor settings changed meanwhile. Try again.');

/** The customer's enrolled factor; changing 2FA settings needs one (409 `two_factor_not_enabled`). */
async function requireActiveFactor(customerId: string) {
  const factor = await store.getTwoFactor(customerId);
  if (factor?.status !== 'active') {
    throw domainError('conflict', 'two_factor_not_enabled', 'Two-factor authentication is not on.');
  }
  return factor;
}

/**
 * Turns 2FA off; `stepUp` is the gate's item for `disable_2fa`, committed with the change. Throws
 * 409 (not on, changed meanwhile) and 403 `step_up_invalid` (the token was already used).
 */
export async function disableTwoFactor(
  customerId: string,
  stepUp: TransactItem,
  clock: Clock = defaultClock(),
) {
  const factor = await requireActiveFactor(customerId);
  const change = new Transaction<'change'>().add(
    'change',
    store.deleteTwoFactorItem(customerId, factor.version),
    auditItem(
      { action: 'twofa.disabled', subject: customerId, actor: customerId, metadata: { factor: 'totp' } },
      clock,
    ),
  );
  await commitWithStepUp(stepUp, change, changedMeanwhile);
  await securityAlert(
    customerId,
    'Two-factor authentication is off',
    'Two-factor authentication was turned off for your Tessera account. If this was not you, contact support now.',
  );
  return { object: 'two_factor' as const, enabled: false };
}

/** Replaces every recovery code; the old ones stop working in the same write. Errors as `disableTwoFactor`. */
export async function regenerateRecoveryCodes(
  customerId: string,
  stepUp: TransactItem,
  clock: Clock = defaultClock(),
) {
  const factor = await requireActiveFactor(customerId);
  const codes = generateRecoveryCodes(await codePepper(), customerId);
  const change = new Transaction<'change'>().add(
    'change',
    store.replaceRecoveryCodesItem(
      customerId,
      codes.map((c) => c.hash),
      factor.version,
    ),
    auditItem({ action: 'twofa.recovery_codes_regenerated', subject: customerId, actor: customerId }, clock),
  );
  await commitWithStepUp(stepUp, change, changedMeanwhile);
  await securityAlert(
    customerId,
    'New recovery codes',
    'New recovery codes were created for your Tessera account; the old ones no longer work.',
  );
  return { recoveryCodes: codes.map((c) => c.code) };
}
