/**
 * The numbers of sessions and sign-in lockout, in one place so the README, the tests and the code
 * cannot disagree. Pure values and functions; no I/O.
 */

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;

/** A session token's life; there is no refresh, the customer signs in again. */
export const SESSION_TTL_SECONDS = 15 * 60;

/**
 * Progressive lockout. After `failures` consecutive failures (the attempt just made included):
 * up to `freeFailures` no wait; then `baseDelayMs` doubling per failure up to `maxDelayMs`; at
 * `lockAt` and beyond, a lock of `lockMs`. A success resets the count; `forgetAfterMs` without a
 * failure forgets it too.
 */
export interface GuardPolicy {
  name: string;
  freeFailures: number;
  baseDelayMs: number;
  maxDelayMs: number;
  lockAt: number;
  lockMs: number;
  forgetAfterMs: number;
}

/** Per account (keyed by the normalized email, so unknown emails behave exactly the same). */
export const PASSWORD_ACCOUNT_POLICY: GuardPolicy = {
  name: 'password-account',
  freeFailures: 4,
  baseDelayMs: 15_000,
  maxDelayMs: 15 * MINUTE_MS,
  lockAt: 10,
  lockMs: HOUR_MS,
  forgetAfterMs: 24 * HOUR_MS,
};

/** Per client IP, across accounts (credential stuffing); looser, since many people share a NAT. */
export const PASSWORD_IP_POLICY: GuardPolicy = {
  name: 'password-ip',
  freeFailures: 20,
  baseDelayMs: 15_000,
  maxDelayMs: 15 * MINUTE_MS,
  lockAt: 30,
  lockMs: HOUR_MS,
  forgetAfterMs: 24 * HOUR_MS,
};

/** How long the next attempt must wait after `failures` consecutive failures. */
export function waitAfter(failures: number, policy: GuardPolicy): number {
  if (failures >= policy.lockAt) return policy.lockMs;
  if (failures <= policy.freeFailures) return 0;
  const doublings = failures - policy.freeFailures - 1;
  return Math.min(policy.baseDelayMs * 2 ** doublings, policy.maxDelayMs);
}
