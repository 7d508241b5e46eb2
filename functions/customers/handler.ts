/**
 * Customer accounts: registration, the profile and sign-out. Signing in (passwords, second factors,
 * new-device alerts) is in `sign-in-handler.ts`, so these functions do not bundle it.
 */
import { httpHandler, publicAccess } from '../lib/http.ts';
import { customerAccess } from './auth.ts';
import { originOf } from './origin.ts';
import { RegisterCustomerBody } from './schema.ts';
import * as customers from './service.ts';

export const registerCustomer = httpHandler(
  { auth: publicAccess, body: RegisterCustomerBody },
  async ({ body, event, headers }) => ({
    status: 201,
    body: await customers.register(body, originOf(event, headers)),
  }),
);

export const deleteCurrentSession = httpHandler({ auth: customerAccess }, async ({ principal }) => {
  await customers.signOut(principal.customerId, principal.sessionId);
  return { status: 204 };
});

export const getMe = httpHandler({ auth: customerAccess }, async ({ principal }) => ({
  status: 200,
  body: await customers.getProfile(principal.customerId),
}));
