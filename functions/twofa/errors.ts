/** The errors of 2FA checks, shared by enrollment and challenge verification. */
import { ApiError, domainError, tooManyRequests } from '../lib/errors.ts';
import { MAX_CHECKS_PER_CHALLENGE } from './policy.ts';

export const codeInvalid = (param: 'code' | 'recoveryCode' = 'code') =>
  domainError('rejected', 'code_invalid', 'The code is not valid. Check it and try again.', param);
export const challengeExpired = () =>
  domainError('rejected', 'challenge_expired', 'This challenge has expired. Start a new one.', 'challengeId');
export const challengeUsed = () =>
  domainError(
    'rejected',
    'challenge_used',
    'This challenge was already completed. Start a new one.',
    'challengeId',
  );
export const challengeExhausted = () =>
  domainError(
    'rejected',
    'challenge_attempts_exceeded',
    `This challenge allows ${MAX_CHECKS_PER_CHALLENGE} checks. Start a new one.`,
    'challengeId',
  );
export const challengeMissing = () =>
  domainError('not_found', 'resource_missing', 'No such challenge.', 'challengeId');

/** 429 with Retry-After: `two_factor_locked` at the lock, the generic rate limit during a delay. */
export function factorBlocked(retryAfterMs: number, locked: boolean): ApiError {
  const seconds = String(Math.max(1, Math.ceil(retryAfterMs / 1000)));
  if (locked) {
    return new ApiError(
      429,
      'rate_limit_error',
      'two_factor_locked',
      'Two-factor checks are locked after too many wrong codes. Try again later.',
      { headers: { 'Retry-After': seconds } },
    );
  }
  return tooManyRequests('Too many wrong codes. Wait before trying again.', retryAfterMs / 1000);
}
