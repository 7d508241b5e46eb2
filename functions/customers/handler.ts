/**
 * The signed-in customer: the profile and sign-out. Registration is in `registration-handler.ts`
 * and signing in (passwords, second factors, new-device alerts) in `sign-in-handler.ts`, so these
 * functions bundle neither.
 */
import { httpHandler } from '../lib/http.ts';
import { customerAccess, signOut } from '../sessions/access.ts';
import { getProfile } from './profile.ts';

export const deleteCurrentSession = httpHandler({ auth: customerAccess }, async ({ principal }) => {
  await signOut(principal.customerId, principal.sessionId);
  return { status: 204 };
});

export const getMe = httpHandler({ auth: customerAccess }, async ({ principal }) => ({
  status: 200,
  body: await getProfile(principal.customerId),
}));
