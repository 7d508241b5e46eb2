import { clock } from '../lib/clock.ts';
import { httpHandler } from '../lib/http.ts';
import { merchantAccess } from '../merchants/auth.ts';
import { CreateOrderBody, ListOrdersQuery, OrderIdParams } from './schema.ts';
import * as orders from './service.ts';

/**
 * Order routes that move no money: no vault, no processor in this bundle (so `POST /v1/orders`
 * stays small and makes no KMS call). Captures and refunds live in `capture-handler.ts`.
 */
const idempotency = { scope: (principal: { merchantId: string }) => principal.merchantId };

export const createOrder = httpHandler(
  { auth: merchantAccess, body: CreateOrderBody, idempotency },
  async ({ principal, body, commit }) =>
    orders.createOrder(principal, body.authorizationToken, commit, clock()),
);

export const getOrder = httpHandler(
  { auth: merchantAccess, params: OrderIdParams },
  async ({ principal, params }) => ({
    status: 200,
    body: await orders.getOrder(principal, params.id),
  }),
);

export const listOrders = httpHandler(
  { auth: merchantAccess, query: ListOrdersQuery },
  async ({ principal, query }) => ({
    status: 200,
    body: await orders.listOrders(principal, query),
  }),
);

export const cancelOrder = httpHandler(
  { auth: merchantAccess, params: OrderIdParams, idempotency },
  async ({ principal, params, commit }) => orders.cancel(principal, params.id, commit, clock()),
);

export const extendOrderAuthorization = httpHandler(
  { auth: merchantAccess, params: OrderIdParams, idempotency },
  async ({ principal, params, commit }) => orders.extendAuthorization(principal, params.id, commit, clock()),
);
