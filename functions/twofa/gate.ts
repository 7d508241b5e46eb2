/**
 * What other capabilities may use of 2FA: the step-up gate in front of sensitive operations, the
 * second factor of a sign-in (login challenge, a code by SMS/email instead of TOTP, check, commit),
 * the proof of an address by a code (contact verification and change), and the contact port that
 * the entry points bind to customers' adapter.
 */

export { newLoginChallenge, startContactChallenge } from './challenges.ts';
export { otpCodeSchema } from './codes.ts';
export { bindContacts, type ContactDirectory, type CustomerContact } from './contacts.ts';
export { isTwoFactorActive } from './enrollment.ts';
export { loginChannels, pendingSignInOwner, sendLoginCode } from './login-code.ts';
export type { StepUpAction } from './policy.ts';
export {
  ChallengeChannelSchema,
  ChallengeIdParams,
  ChallengeProof,
  CodeChallengeResponse,
  CodeChannelSchema,
  LoginCodeBody,
  MfaSessionBody,
} from './schema.ts';
export {
  commitWithStepUp,
  consumeStepUp,
  requireStepUp,
  STEP_UP_HEADER,
  type StepUpRequirement,
  stepUpAlreadyUsed,
  stepUpInvalid,
  stepUpRequired,
} from './step-up-gate.ts';
export { checkChallenge, completeCheck, type PassedCheck } from './verification.ts';
