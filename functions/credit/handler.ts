/** `POST /v1/me/credit-applications`: the shopper asks for a credit limit. */
import { clock } from '../lib/clock.ts';
import { httpHandler } from '../lib/http.ts';
import { originHashes } from '../lib/origin.ts';
import { answer, created } from '../lib/use-case.ts';
import { repaymentHistory } from '../orders/collection-face.ts';
import { customerAccess } from '../sessions/access.ts';
import { requireStepUp } from '../twofa/gate.ts';
import { applyForCredit, type CreditPorts } from './apply.ts';
import { CreditApplicationBody } from './schema.ts';

const ports: CreditPorts = { requireStepUp: (input) => requireStepUp(input), repaymentHistory };

export const createCreditApplication = httpHandler(
  { auth: customerAccess, body: CreditApplicationBody },
  async ({ principal, body, headers, commit, event }) => {
    const who = { customerId: principal.customerId, origin: await originHashes(event, headers) };
    return answer(commit, created, (port) => applyForCredit(who, body, headers, ports, port, clock()));
  },
);
