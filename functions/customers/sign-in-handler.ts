/**
 * Signing in: password (with lockout), then a second factor when 2FA is on. These functions bundle
 * the TOTP, challenge and notification code that the account routes in `handler.ts` never use.
 */
import { httpHandler, publicAccess } from '../lib/http.ts';
import { bindContacts, LoginCodeBody, MfaSessionBody, sendLoginCode } from '../twofa/gate.ts';
import { customerContacts } from './contacts.ts';
import { originOf } from './origin.ts';
import { SignInBody } from './schema.ts';
import * as signIn from './sign-in.ts';

// 2FA alerts (a lock, a used recovery code) reach the customer through customers' own directory.
bindContacts(customerContacts);

export const createSession = httpHandler(
  { auth: publicAccess, body: SignInBody },
  async ({ body, event, headers }) => ({
    status: 200,
    body: await signIn.signIn(body, originOf(event, headers)),
  }),
);

export const createMfaSession = httpHandler(
  { auth: publicAccess, body: MfaSessionBody },
  async ({ body, event, headers }) => ({
    status: 200,
    body: await signIn.completeMfa(body, originOf(event, headers)),
  }),
);

/** A one-time code for a login challenge, by SMS or email to a verified address, instead of TOTP. */
export const createMfaCode = httpHandler({ auth: publicAccess, body: LoginCodeBody }, async ({ body }) => ({
  status: 201,
  body: await sendLoginCode(body),
}));
