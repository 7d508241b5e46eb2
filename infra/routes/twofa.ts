import type { ErrorCode } from '../../functions/lib/error-codes.ts';
import {
  ChallengeIdParams,
  ChallengeProof,
  ConfirmTotpBody,
  RecoveryCodesResponse,
  StepUpBody,
  StepUpChallengeResponse,
  StepUpTokenResponse,
  TotpEnrollmentResponse,
  TwoFactorStatusResponse,
} from '../../functions/twofa/schema.ts';
import type { Route } from './route.ts';

const twofaEntry = 'functions/twofa/handler.ts';

/** What answering a challenge (functions/twofa/challenges.ts) can refuse with: sign-in MFA and step-up. */
export const challengeAnswerErrors: ErrorCode[] = [
  'resource_missing',
  'code_invalid',
  'challenge_expired',
  'challenge_used',
  'challenge_attempts_exceeded',
  'challenge_busy',
  'two_factor_locked',
  'two_factor_not_enabled',
  'concurrent_update',
];

/** Two-factor authentication and step-up routes: their functions form the `twofa` nested stack (`functions/twofa/…`). */
export const twofaRoutes: Route[] = [
  {
    operationId: 'enrollTotp',
    method: 'POST',
    path: '/v1/me/2fa/totp',
    entry: twofaEntry,
    handler: 'enrollTotp',
    auth: 'customer',
    stepUp: 'required',
    summary:
      'Start TOTP enrollment (needs an `enable_2fa` step-up token): returns the secret and otpauth URI (active after confirmation)',
    tags: ['customer'],
    responses: {
      200: { description: 'Pending enrollment.', schema: TotpEnrollmentResponse },
    },
    errors: ['resource_missing', 'two_factor_already_enabled', 'concurrent_update', 'service_unavailable'],
    access: { main: 'readwrite', keys: ['secrets:encrypt'], secrets: ['session-signing'] },
  },
  {
    operationId: 'confirmTotp',
    method: 'POST',
    path: '/v1/me/2fa/totp/confirm',
    entry: twofaEntry,
    handler: 'confirmTotp',
    auth: 'customer',
    summary:
      'Confirm TOTP with a first valid code; returns 10 single-use recovery codes once and ends every other session',
    tags: ['customer'],
    request: { body: ConfirmTotpBody },
    responses: {
      200: { description: '2FA is on.', schema: RecoveryCodesResponse },
    },
    errors: [
      'code_invalid',
      'enrollment_missing',
      'enrollment_attempts_exceeded',
      'two_factor_already_enabled',
      'two_factor_locked',
      'concurrent_update',
    ],
    access: {
      main: 'readwrite',
      keys: ['secrets:decrypt'],
      secrets: ['session-signing', 'otp-pepper'],
      notify: true,
    },
  },
  {
    operationId: 'disableTwoFactor',
    method: 'POST',
    path: '/v1/me/2fa/disable',
    entry: 'functions/twofa/settings-handler.ts',
    handler: 'disableTwoFactor',
    auth: 'customer',
    stepUp: 'required',
    summary: 'Turn 2FA off (needs a `disable_2fa` step-up token)',
    tags: ['customer'],
    responses: {
      200: { description: '2FA is off.', schema: TwoFactorStatusResponse },
    },
    errors: ['two_factor_not_enabled', 'concurrent_update'],
    access: { main: 'readwrite', secrets: ['session-signing'], notify: true },
  },
  {
    operationId: 'regenerateRecoveryCodes',
    method: 'POST',
    path: '/v1/me/2fa/recovery-codes',
    entry: 'functions/twofa/settings-handler.ts',
    handler: 'regenerateRecoveryCodes',
    auth: 'customer',
    stepUp: 'required',
    summary: 'Replace all recovery codes (needs a `regenerate_recovery_codes` step-up token)',
    tags: ['customer'],
    responses: {
      200: { description: 'The new codes, shown once.', schema: RecoveryCodesResponse },
    },
    errors: ['two_factor_not_enabled', 'concurrent_update'],
    access: { main: 'readwrite', secrets: ['session-signing', 'otp-pepper'], notify: true },
  },
  {
    operationId: 'startStepUp',
    method: 'POST',
    path: '/v1/me/step-up',
    entry: 'functions/twofa/step-up-handler.ts',
    handler: 'startStepUp',
    auth: 'customer',
    summary:
      'Start a step-up for one action (and for money, one amount and payee): TOTP when 2FA is on, else a code to a verified phone, else a verified email',
    tags: ['customer'],
    request: { body: StepUpBody },
    responses: {
      201: { description: 'The challenge to answer.', schema: StepUpChallengeResponse },
    },
    errors: [
      'resource_missing',
      'two_factor_not_enabled',
      'contact_unverified',
      'concurrent_update',
      'service_unavailable',
    ],
    access: { main: 'readwrite', secrets: ['session-signing', 'otp-pepper'], notify: true },
  },
  {
    operationId: 'verifyStepUp',
    method: 'POST',
    path: '/v1/me/step-up/{challengeId}/verify',
    entry: 'functions/twofa/step-up-verify-handler.ts',
    handler: 'verifyStepUp',
    auth: 'customer',
    summary: 'Answer a step-up challenge; returns a 5-minute, single-use step-up token',
    tags: ['customer'],
    request: { body: ChallengeProof, params: ChallengeIdParams },
    responses: {
      200: { description: 'Verified.', schema: StepUpTokenResponse },
    },
    errors: [...challengeAnswerErrors, 'recovery_code_not_allowed'],
    access: {
      main: 'readwrite',
      keys: ['secrets:decrypt'],
      secrets: ['session-signing', 'otp-pepper'],
      notify: true,
    },
  },
];
