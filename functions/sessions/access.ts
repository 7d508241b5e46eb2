/**
 * What other capabilities may use of sessions: the customer authenticator for their routes,
 * opening and ending a session, and the attempt guards (progressive delays and locks) that sign-in
 * and second factors count failures on.
 */
export { type CustomerPrincipal, customerAccess } from './auth.ts';
export { type OpenedSession, openSession, revokeOtherSessions, signOut } from './lifecycle.ts';
export {
  type GuardKey,
  type GuardState,
  type Reservation,
  refundAttempt,
  reserveAttempt,
  resetGuard,
} from './lockout.ts';
export {
  type GuardPolicy,
  PASSWORD_ACCOUNT_POLICY,
  PASSWORD_IP_POLICY,
  SESSION_TTL_SECONDS,
  waitAfter,
} from './policy.ts';
