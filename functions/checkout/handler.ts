import { clock } from '../lib/clock.ts';
import { httpHandler } from '../lib/http.ts';
import { publicBaseUrl } from '../lib/public-origin.ts';
import { answer, created, ok } from '../lib/use-case.ts';
import { merchantAccess } from '../merchants/access.ts';
import { customerAccess } from '../sessions/access.ts';
import { requireStepUp } from '../twofa/gate.ts';
import { getCard } from '../vault/access.ts';
import { type AuthorizePorts, authorize } from './authorize.ts';
import { readSession } from './read.ts';
import { AuthorizeCheckoutBody, CheckoutSessionParams, CreateCheckoutSessionBody } from './schema.ts';
import { createSession } from './session.ts';

/** The vault and step-up adapters behind the service's ports. */
const ports: AuthorizePorts = {
  getCard,
  requireStepUp: (input) => requireStepUp(input),
};

export const createCheckoutSession = httpHandler(
  {
    auth: merchantAccess,
    body: CreateCheckoutSessionBody,
    idempotency: { scope: (principal) => principal.merchantId },
  },
  async ({ principal, body, commit, event }) =>
    answer(commit, created, (port) => createSession(principal, body, port, clock(), publicBaseUrl(event))),
);

export const authorizeCheckoutSession = httpHandler(
  { auth: customerAccess, body: AuthorizeCheckoutBody, params: CheckoutSessionParams },
  async ({ principal, params, body, headers, commit }) =>
    answer(commit, ok, (port) => authorize(principal, params.id, body, headers, ports, port, clock())),
);

export const getCheckoutSession = httpHandler(
  { auth: merchantAccess, params: CheckoutSessionParams },
  async ({ principal, params }) => ok(await readSession(principal, params.id, clock().now())),
);
