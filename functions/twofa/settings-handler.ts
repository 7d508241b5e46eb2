/** Changes to an active second factor, each behind a fresh step-up: turn 2FA off, new recovery codes. */
import { customerAccess } from '../customers/auth.ts';
import { httpHandler } from '../lib/http.ts';
import { requireStepUp } from './gate.ts';
import * as twofa from './service.ts';

export const disableTwoFactor = httpHandler({ auth: customerAccess }, async ({ principal, headers }) => {
  const stepUp = await requireStepUp({ headers, customerId: principal.customerId, action: 'disable_2fa' });
  return { status: 200, body: await twofa.disableTwoFactor(principal.customerId, stepUp) };
});

export const regenerateRecoveryCodes = httpHandler(
  { auth: customerAccess },
  async ({ principal, headers }) => {
    const stepUp = await requireStepUp({
      headers,
      customerId: principal.customerId,
      action: 'regenerate_recovery_codes',
    });
    return { status: 200, body: await twofa.regenerateRecoveryCodes(principal.customerId, stepUp) };
  },
);
