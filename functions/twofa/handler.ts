import { customerAccess } from '../customers/auth.ts';
import { httpHandler } from '../lib/http.ts';
import { requireStepUp } from './gate.ts';
import { ChallengeIdParams, ChallengeProof, ConfirmTotpBody, StepUpBody } from './schema.ts';
import * as twofa from './service.ts';

export const enrollTotp = httpHandler({ auth: customerAccess }, async ({ principal }) => ({
  status: 200,
  body: await twofa.startTotpEnrollment(principal.customerId),
}));

export const confirmTotp = httpHandler(
  { auth: customerAccess, body: ConfirmTotpBody },
  async ({ principal, body }) => ({
    status: 200,
    body: await twofa.confirmTotpEnrollment(principal.customerId, body.code),
  }),
);

export const disableTwoFactor = httpHandler({ auth: customerAccess }, async ({ principal, headers }) => {
  const stepUp = await requireStepUp({ headers, customerId: principal.customerId, action: 'disable_2fa' });
  return { status: 200, body: await twofa.disableTwoFactor(principal.customerId, stepUp) };
});

export const regenerateRecoveryCodes = httpHandler(
  { auth: customerAccess },
  async ({ principal, headers }) => {
    const stepUp = await requireStepUp({
      headers,
      customerId: principal.customerId,
      action: 'regenerate_recovery_codes',
    });
    return { status: 200, body: await twofa.regenerateRecoveryCodes(principal.customerId, stepUp) };
  },
);

export const startStepUp = httpHandler(
  { auth: customerAccess, body: StepUpBody },
  async ({ principal, body }) => ({
    status: 201,
    body: await twofa.startStepUp(principal.customerId, body),
  }),
);

export const verifyStepUp = httpHandler(
  { auth: customerAccess, body: ChallengeProof, params: ChallengeIdParams },
  async ({ principal, body, params }) => ({
    status: 200,
    body: await twofa.verifyStepUp(principal.customerId, params.challengeId, body),
  }),
);
