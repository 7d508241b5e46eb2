/**
 * TOTP enrollment: start (a new secret) and confirm (the first valid code turns 2FA on). Turning it
 * off and new recovery codes are in `settings-handler.ts`; step-up challenges in `step-up-handler.ts`
 * (start) and `step-up-verify-handler.ts` (answer).
 */
import { customerContacts } from '../customers/contacts.ts';
import { httpHandler } from '../lib/http.ts';
import { customerAccess } from '../sessions/access.ts';
import { bindContacts } from './contacts.ts';
import { confirmTotpEnrollment, startTotpEnrollment } from './enrollment.ts';
import { ConfirmTotpBody } from './schema.ts';

bindContacts(customerContacts);

export const enrollTotp = httpHandler({ auth: customerAccess }, async ({ principal }) => ({
  status: 200,
  body: await startTotpEnrollment(principal.customerId),
}));

export const confirmTotp = httpHandler(
  { auth: customerAccess, body: ConfirmTotpBody },
  async ({ principal, body }) => ({
    status: 200,
    body: await confirmTotpEnrollment(principal.customerId, body.code),
  }),
);
