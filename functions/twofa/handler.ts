/**
 * TOTP enrollment: start (a new secret) and confirm (the first valid code turns 2FA on). Turning it
 * off and new recovery codes are in `settings-handler.ts`; step-up challenges in `step-up-handler.ts`
 * (start) and `step-up-verify-handler.ts` (answer).
 */
import { customerAccess } from '../customers/auth.ts';
import { httpHandler } from '../lib/http.ts';
import { ConfirmTotpBody } from './schema.ts';
import * as twofa from './service.ts';

export const enrollTotp = httpHandler({ auth: customerAccess }, async ({ principal }) => ({
  status: 200,
  body: await twofa.startTotpEnrollment(principal.customerId),
}));

export const confirmTotp = httpHandler(
  { auth: customerAccess, body: ConfirmTotpBody },
  async ({ principal, body }) => ({
    status: 200,
    body: await twofa.confirmTotpEnrollment(principal.customerId, body.code),
  }),
);
