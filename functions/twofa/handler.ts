/**
 * TOTP enrollment: start (a new secret, behind an `enable_2fa` step-up) and confirm (the first
 * valid code turns 2FA on and ends every other session). Turning it
 * off and new recovery codes are in `settings-handler.ts`; step-up challenges in `step-up-handler.ts`
 * (start) and `step-up-verify-handler.ts` (answer).
 */
import { customerContacts } from '../customers/contacts.ts';
import { httpHandler } from '../lib/http.ts';
import { customerAccess } from '../sessions/access.ts';
import { bindContacts } from './contacts.ts';
import { confirmTotpEnrollment, startTotpEnrollment } from './enrollment.ts';
import { ConfirmTotpBody } from './schema.ts';
import { requireStepUp } from './step-up-gate.ts';

bindContacts(customerContacts);

export const enrollTotp = httpHandler({ auth: customerAccess }, async ({ principal, headers }) => {
  const { customerId } = principal;
  const approve = () => requireStepUp({ headers, customerId, action: 'enable_2fa' });
  return { status: 200, body: await startTotpEnrollment(customerId, approve) };
});

export const confirmTotp = httpHandler(
  { auth: customerAccess, body: ConfirmTotpBody },
  async ({ principal, body }) => ({
    status: 200,
    body: await confirmTotpEnrollment(principal, body.code),
  }),
);
