import { clock } from '../lib/clock.ts';
import { httpHandler } from '../lib/http.ts';
import { merchantAccess } from '../merchants/auth.ts';
import { customerAccess } from '../sessions/access.ts';
import { requireStepUp } from '../twofa/gate.ts';
import { getCard } from '../vault/access.ts';
import { AuthorizeCheckoutBody, CheckoutSessionParams, CreateCheckoutSessionBody } from './schema.ts';
import * as checkout from './service.ts';

/** The vault and step-up adapters behind the service's ports. */
const ports: checkout.AuthorizePorts = {
  getCard,
  requireStepUp: (input) => requireStepUp(input),
};

export const createCheckoutSession = httpHandler(
  {
    auth: merchantAccess,
    body: CreateCheckoutSessionBody,
    idempotency: { scope: (principal) => principal.merchantId },
  },
  async ({ principal, body, commit }) => checkout.createSession(principal, body, commit, clock()),
);

export const authorizeCheckoutSession = httpHandler(
  { auth: customerAccess, body: AuthorizeCheckoutBody, params: CheckoutSessionParams },
  async ({ principal, params, body, headers, commit }) =>
    checkout.authorize(principal, params.id, body, headers, ports, commit, clock()),
);
