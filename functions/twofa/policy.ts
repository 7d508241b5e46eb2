/**
 * The numbers of 2FA protection, in one place so the README, the tests and the code cannot
 * disagree. Pure values; no I/O. Sign-in lockout and session life are in functions/sessions.
 */
import type { GuardPolicy } from '../sessions/access.ts';

/** A step-up action: what a step-up token approves. Money actions also bind amount and payee. */
export const STEP_UP_ACTIONS = [
  'add_card',
  'withdrawal',
  'credit_application',
  'authorize_checkout',
  'enable_2fa',
  'disable_2fa',
  'regenerate_recovery_codes',
  'change_contact',
  'change_password',
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
/** A step-up token's life, and its single use. */
export const STEP_UP_TTL_SECONDS = 5 * 60;

/** One-time code sends, per fixed window. */
export const SEND_LIMITS = {
  perCustomer: { max: 5, windowMs: 15 * MINUTE_MS },
  perPhone: { max: 10, windowMs: HOUR_MS },
} as const;

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
