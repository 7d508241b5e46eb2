/**
 * Starting a step-up for one action (and, for money, one amount and payee): the one-time code goes
 * by SMS or email, so this is the only 2FA function that bundles the SMS client. Answering the
 * challenge is in `step-up-verify-handler.ts`.
 */
import { customerAccess } from '../customers/auth.ts';
import { httpHandler } from '../lib/http.ts';
import { StepUpBody } from './schema.ts';
import * as twofa from './service.ts';

export const startStepUp = httpHandler(
  { auth: customerAccess, body: StepUpBody },
  async ({ principal, body }) => ({
    status: 201,
    body: await twofa.startStepUp(principal.customerId, body),
  }),
);
