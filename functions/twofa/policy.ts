/**
 * The numbers of sign-in and 2FA protection, in one place so the README, the tests and the code
 * cannot disagree. Pure values and functions; no I/O.
 */

/** A step-up action: what a step-up token approves. Money actions also bind amount and payee. */
export const STEP_UP_ACTIONS = [
  'add_card',
  'withdrawal',
  'credit_application',
  'authorize_checkout',
  'disable_2fa',
  'regenerate_recovery_codes',
  'change_contact',
] as const;
export type StepUpAction = (typeof STEP_UP_ACTIONS)[number];

/** Actions that move money: a step-up for them must name the amount (PSD2 dynamic linking). */
export const MONEY_ACTIONS: ReadonlySet<StepUpAction> = new Set([
  'withdrawal',
  'credit_application',
  'authorize_checkout',
]);

/** Actions a recovery code may approve: the ones a customer who lost the authenticator needs. */
export const RECOVERY_CODE_ACTIONS: ReadonlySet<StepUpAction> = new Set([
  'disable_2fa',
  'regenerate_recovery_codes',
]);

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;

/** A challenge (login MFA or step-up) and its one-time code live 10 minutes. */
export const CHALLENGE_TTL_MS = 10 * MINUTE_MS;
/** Checks per challenge; the sixth is refused even with the right code. */
export const MAX_CHECKS_PER_CHALLENGE = 5;
/** Wrong codes while confirming one TOTP enrollment before it must be restarted. */
export const MAX_ENROLLMENT_CHECKS = 5;
/** A session token's life; there is no refresh, the customer signs in again. */
export const SESSION_TTL_SECONDS = 15 * 60;
/** A step-up token's life, and its single use. */
export const STEP_UP_TTL_SECONDS = 5 * 60;

/** One-time code sends, per fixed window. */
export const SEND_LIMITS = {
  perCustomer: { max: 5, windowMs: 15 * MINUTE_MS },
  perPhone: { max: 10, windowMs: HOUR_MS },
} as const;

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

/** Per customer, across challenges and second factors (TOTP, one-time codes, recovery codes). */
export const TWOFA_POLICY: GuardPolicy = {
  name: 'twofa',
  freeFailures: 3,
  baseDelayMs: 15_000,
  maxDelayMs: 15 * MINUTE_MS,
  lockAt: 10,
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
