import { clock } from '../lib/clock.ts';
import { type HttpEvent, httpHandler } from '../lib/http.ts';
import { deviceHash, ipHash, originOf } from '../lib/origin.ts';
import { publicBaseUrl } from '../lib/public-origin.ts';
import { answer, created, ok } from '../lib/use-case.ts';
import { merchantAccess } from '../merchants/access.ts';
import { assessRiskStaged, riskRefusal } from '../monitoring/risk.ts';
import { customerAccess } from '../sessions/access.ts';
import { requireStepUp } from '../twofa/gate.ts';
import { getCard } from '../vault/access.ts';
import { type AuthorizePorts, authorize } from './authorize.ts';
import { readSession } from './read.ts';
import { AuthorizeCheckoutBody, CheckoutSessionParams, CreateCheckoutSessionBody } from './schema.ts';
import { createSession } from './session.ts';

/** The vault, step-up and monitoring adapters behind the service's ports, for one request. */
function portsFor(event: HttpEvent, headers: Record<string, string | undefined>): AuthorizePorts {
  const origin = originOf(event, headers);
  return {
    getCard,
    requireStepUp: (input) => requireStepUp(input),
    assessRisk: async (risk) =>
      assessRiskStaged(
        { ...risk, deviceId: await deviceHash(origin), ipHash: await ipHash(origin) },
        clock(),
      ),
    riskRefusal,
  };
}

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
  async ({ principal, params, body, headers, event, commit }) =>
    answer(commit, ok, (port) =>
      authorize(principal, params.id, body, headers, portsFor(event, headers), port, clock()),
    ),
);

export const getCheckoutSession = httpHandler(
  { auth: merchantAccess, params: CheckoutSessionParams },
  async ({ principal, params }) => ok(await readSession(principal, params.id, clock().now())),
);
