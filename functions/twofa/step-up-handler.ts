/**
 * Starting a step-up for one action (and, for money, one amount and payee): the one-time code goes
 * by SMS or email, so this is the only 2FA function that bundles the SMS client. Answering the
 * challenge is in `step-up-verify-handler.ts`.
 */
import { customerContacts } from '../customers/contacts.ts';
import { httpHandler } from '../lib/http.ts';
import { customerAccess } from '../sessions/access.ts';
import * as challenges from './challenges.ts';
import { bindContacts } from './contacts.ts';
import { StepUpBody } from './schema.ts';

bindContacts(customerContacts);

export const startStepUp = httpHandler(
  { auth: customerAccess, body: StepUpBody },
  async ({ principal, body }) => ({
    status: 201,
    body: await challenges.startStepUp(principal.customerId, body),
  }),
);
