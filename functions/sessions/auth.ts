import { clock } from '../lib/clock.ts';
import { unauthorized } from '../lib/errors.ts';
import type { Authenticator } from '../lib/http.ts';
import { getSession } from './store.ts';
import { verifySessionToken } from './tokens.ts';

export interface CustomerPrincipal {
  customerId: string;
  sessionId: string;
}

/**
 * Customer authentication: `Authorization: Bearer <session token>`. The token's signature and
 * 15-minute life are checked first (no I/O for junk), then one consistent read of the session, so
 * a sign-out takes effect on the very next request.
 */
export const customerAccess: Authenticator<CustomerPrincipal> = async (event) => {
  const header = event.headers?.authorization ?? event.headers?.Authorization;
  const token = header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
  if (!token) throw unauthorized('Sign in and send the session token as `Authorization: Bearer <token>`.');
  const now = clock().now();
  const claims = await verifySessionToken(token, now);
  if (!claims)
    throw unauthorized('The session token is invalid or expired. Sign in again.', 'session_invalid');
  const session = await getSession(claims.sessionId);
  if (
    session?.status !== 'active' ||
    session.customerId !== claims.customerId ||
    session.expiresAtMs <= now.getTime()
  ) {
    throw unauthorized('The session has ended. Sign in again.', 'session_invalid');
  }
  return claims;
};
