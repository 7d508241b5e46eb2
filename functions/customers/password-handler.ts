/** The password: changing it while signed in (current password + step-up), and resetting it by email. */
import { httpHandler, publicAccess } from '../lib/http.ts';
import { customerAccess } from '../sessions/access.ts';
import { bindContacts, requireStepUp } from '../twofa/gate.ts';
import { customerContacts } from './contacts.ts';
import { originOf } from './origin.ts';
import { changePassword as change } from './password-change.ts';
import { confirmPasswordReset, requestPasswordReset } from './password-reset.ts';
import { ChangePasswordBody, PasswordResetConfirmBody, PasswordResetRequestBody } from './schema.ts';

bindContacts(customerContacts);

export const changePassword = httpHandler(
  { auth: customerAccess, body: ChangePasswordBody },
  async ({ principal, body, headers, event }) => {
    const approve = () =>
      requireStepUp({ headers, customerId: principal.customerId, action: 'change_password' });
    return { status: 200, body: await change(principal, body, originOf(event, headers), approve) };
  },
);

export const requestReset = httpHandler(
  { auth: publicAccess, body: PasswordResetRequestBody },
  async ({ body, event, headers }) => ({
    status: 202,
    body: await requestPasswordReset(body.email, originOf(event, headers)),
  }),
);

export const confirmReset = httpHandler(
  { auth: publicAccess, body: PasswordResetConfirmBody },
  async ({ body }) => ({ status: 200, body: await confirmPasswordReset(body) }),
);
