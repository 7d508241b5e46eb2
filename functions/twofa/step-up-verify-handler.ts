/** Answering a step-up challenge (TOTP, one-time or recovery code) for a single-use step-up token. */
import { customerContacts } from '../customers/contacts.ts';
import { httpHandler } from '../lib/http.ts';
import { customerAccess } from '../sessions/access.ts';
import { bindContacts } from './contacts.ts';
import { ChallengeIdParams, ChallengeProof } from './schema.ts';
import * as verification from './verification.ts';

bindContacts(customerContacts);

export const verifyStepUp = httpHandler(
  { auth: customerAccess, body: ChallengeProof, params: ChallengeIdParams },
  async ({ principal, body, params }) => ({
    status: 200,
    body: await verification.verifyStepUp(principal.customerId, params.challengeId, body),
  }),
);
