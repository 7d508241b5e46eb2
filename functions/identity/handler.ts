/** Identity verification entry points: the shopper's, the operator's and the provider's callback. */
import { clock } from '../lib/clock.ts';
import { httpHandler, operatorAccess, publicAccess } from '../lib/http.ts';
import { answer, created, ok } from '../lib/use-case.ts';
import { customerAccess } from '../sessions/access.ts';
import { receiveCallback } from './callback.ts';
import { identityProvider } from './provider.ts';
import { IDENTITY_SIGNATURE_HEADER } from './provider-port.ts';
import { getMyIdentity, getMyVerification } from './read.ts';
import { decideReview, listInReview } from './review.ts';
import { IdentityVerificationParams, ReviewDecisionBody, StartIdentityVerificationBody } from './schema.ts';
import { startVerification } from './start.ts';

export const startIdentityVerification = httpHandler(
  { auth: customerAccess, body: StartIdentityVerificationBody },
  async ({ principal, body, commit }) =>
    answer(commit, created, (port) => startVerification(principal, body, identityProvider(), port, clock())),
);

export const getIdentityVerification = httpHandler(
  { auth: customerAccess, params: IdentityVerificationParams },
  async ({ principal, params }) => ok(await getMyVerification(principal, params.id, clock())),
);

export const getIdentity = httpHandler({ auth: customerAccess }, async ({ principal }) =>
  ok(await getMyIdentity(principal, clock())),
);

export const listIdentityReviews = httpHandler({ auth: operatorAccess }, async () =>
  ok(await listInReview(clock())),
);

export const decideIdentityReview = httpHandler(
  { auth: operatorAccess, params: IdentityVerificationParams, body: ReviewDecisionBody },
  async ({ principal, params, body }) => ok(await decideReview(principal, params.id, body, clock())),
);

/**
 * The signature covers the raw bytes received, so the kernel does not parse the body here: the use
 * case checks the signature first, then parses (IdentityCallbackBody, as documented on the route).
 */
export const identityCallback = httpHandler({ auth: publicAccess }, async ({ event, headers }) => {
  const raw = event.isBase64Encoded
    ? Buffer.from(event.body ?? '', 'base64').toString('utf8')
    : (event.body ?? '');
  return ok(await receiveCallback(raw, headers[IDENTITY_SIGNATURE_HEADER.toLowerCase()], clock()));
});
