/**
 * Customer accounts: registration, the profile and sign-out. Signing in (passwords, second factors,
 * new-device alerts) is in `sign-in-handler.ts`, so these functions do not bundle it.
 */
import { httpHandler, publicAccess } from '../lib/http.ts';
import { customerAccess, signOut } from '../sessions/access.ts';
import { originOf } from './origin.ts';
import { getProfile } from './profile.ts';
import { register } from './registration.ts';
import { RegisterCustomerBody } from './schema.ts';

export const registerCustomer = httpHandler(
  { auth: publicAccess, body: RegisterCustomerBody },
  async ({ body, event, headers }) => ({
    status: 201,
    body: await register(body, originOf(event, headers)),
  }),
);

export const deleteCurrentSession = httpHandler({ auth: customerAccess }, async ({ principal }) => {
  await signOut(principal.customerId, principal.sessionId);
  return { status: 204 };
});

export const getMe = httpHandler({ auth: customerAccess }, async ({ principal }) => ({
  status: 200,
  body: await getProfile(principal.customerId),
}));
