/**
 * What other capabilities may use of 2FA: the step-up gate in front of sensitive operations, the
 * second factor of a sign-in (login challenge, check, commit), and the contact port that the entry
 * points bind to customers' adapter.
 */

export { newLoginChallenge } from './challenges.ts';
export { bindContacts, type ContactDirectory, type CustomerContact } from './contacts.ts';
export { isTwoFactorActive } from './enrollment.ts';
export type { StepUpAction } from './policy.ts';
export { ChallengeProof, MfaSessionBody } from './schema.ts';
export {
  commitWithStepUp,
  consumeStepUp,
  requireStepUp,
  STEP_UP_HEADER,
  type StepUpRequirement,
  stepUpInvalid,
  stepUpRequired,
} from './step-up-gate.ts';
export { checkChallenge, completeCheck, type PassedCheck } from './verification.ts';
