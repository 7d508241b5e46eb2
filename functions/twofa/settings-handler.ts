/** Changes to an active second factor, each behind a fresh step-up: turn 2FA off, new recovery codes. */
import { customerContacts } from '../customers/contacts.ts';
import { httpHandler } from '../lib/http.ts';
import { customerAccess } from '../sessions/access.ts';
import { bindContacts } from './contacts.ts';
import * as settings from './settings.ts';
import { requireStepUp } from './step-up-gate.ts';

bindContacts(customerContacts);

export const disableTwoFactor = httpHandler({ auth: customerAccess }, async ({ principal, headers }) => {
  const stepUp = await requireStepUp({ headers, customerId: principal.customerId, action: 'disable_2fa' });
  return { status: 200, body: await settings.disableTwoFactor(principal.customerId, stepUp) };
});

export const regenerateRecoveryCodes = httpHandler(
  { auth: customerAccess },
  async ({ principal, headers }) => {
    const stepUp = await requireStepUp({
      headers,
      customerId: principal.customerId,
      action: 'regenerate_recovery_codes',
    });
    return { status: 200, body: await settings.regenerateRecoveryCodes(principal.customerId, stepUp) };
  },
);
