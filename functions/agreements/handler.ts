/**
 * The merchant's customer-token routes: charge under an agreement (its own bundle needs the charge
 * queue, as `POST /v1/orders` with autoCapture does), and read one.
 */
import { clock } from '../lib/clock.ts';
import { httpHandler } from '../lib/http.ts';
import { answer, created, ok } from '../lib/use-case.ts';
import { merchantAccess } from '../merchants/access.ts';
import { chargeCustomerToken, readCustomerToken } from './charge.ts';
import { AgreementParams, CustomerTokenOrderBody } from './schema.ts';

export const createCustomerTokenOrder = httpHandler(
  {
    auth: merchantAccess,
    params: AgreementParams,
    body: CustomerTokenOrderBody,
    idempotency: { scope: (principal: { merchantId: string }) => principal.merchantId },
  },
  async ({ principal, params, body, commit }) =>
    answer(commit, created, (port) => chargeCustomerToken(principal, params.id, body, port, clock())),
);

export const getCustomerToken = httpHandler(
  { auth: merchantAccess, params: AgreementParams },
  async ({ principal, params }) => ok(await readCustomerToken(principal, params.id)),
);
