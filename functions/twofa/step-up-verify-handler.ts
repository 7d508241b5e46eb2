/** Answering a step-up challenge (TOTP, one-time or recovery code) for a single-use step-up token. */
import { customerAccess } from '../customers/auth.ts';
import { httpHandler } from '../lib/http.ts';
import { ChallengeIdParams, ChallengeProof } from './schema.ts';
import * as twofa from './service.ts';

export const verifyStepUp = httpHandler(
  { auth: customerAccess, body: ChallengeProof, params: ChallengeIdParams },
  async ({ principal, body, params }) => ({
    status: 200,
    body: await twofa.verifyStepUp(principal.customerId, params.challengeId, body),
  }),
);
