/**
 * Verifying the account's email or phone, and changing them (behind a `change_contact` step-up):
 * each sends a one-time code to the address being proven, so these functions bundle the notifier.
 */
import { httpHandler } from '../lib/http.ts';
import { customerAccess } from '../sessions/access.ts';
import { bindContacts, ChallengeIdParams, requireStepUp } from '../twofa/gate.ts';
import { confirmContact, startContactChange, startContactVerification } from './contact-verification.ts';
import { customerContacts } from './contacts.ts';
import { ContactChangeBody, ContactCodeBody, ContactVerificationBody } from './schema.ts';

bindContacts(customerContacts);

export const startVerification = httpHandler(
  { auth: customerAccess, body: ContactVerificationBody },
  async ({ principal, body }) => ({
    status: 201,
    body: await startContactVerification(principal.customerId, body.contact),
  }),
);

export const startChange = httpHandler(
  { auth: customerAccess, body: ContactChangeBody },
  async ({ principal, body, headers }) => {
    const { customerId } = principal;
    const approve = () => requireStepUp({ headers, customerId, action: 'change_contact' });
    return { status: 201, body: await startContactChange(customerId, body, approve) };
  },
);

export const verifyContact = httpHandler(
  { auth: customerAccess, body: ContactCodeBody, params: ChallengeIdParams },
  async ({ principal, body, params }) => ({
    status: 200,
    body: await confirmContact(principal.customerId, { challengeId: params.challengeId, code: body.code }),
  }),
);
