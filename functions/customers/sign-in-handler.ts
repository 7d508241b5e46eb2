/**
 * Signing in: password (with lockout), then a second factor when 2FA is on. These functions bundle
 * the TOTP, challenge and notification code that the account routes in `handler.ts` never use.
 */
import { httpHandler, publicAccess } from '../lib/http.ts';
import { MfaSessionBody } from '../twofa/schema.ts';
import { originOf } from './origin.ts';
import { SignInBody } from './schema.ts';
import * as customers from './service.ts';

export const createSession = httpHandler(
  { auth: publicAccess, body: SignInBody },
  async ({ body, event, headers }) => ({
    status: 200,
    body: await customers.signIn(body, originOf(event, headers)),
  }),
);

export const createMfaSession = httpHandler(
  { auth: publicAccess, body: MfaSessionBody },
  async ({ body, event, headers }) => ({
    status: 200,
    body: await customers.completeMfa(body, originOf(event, headers)),
  }),
);
