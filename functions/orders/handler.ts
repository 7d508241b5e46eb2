import { clock } from '../lib/clock.ts';
import { httpHandler } from '../lib/http.ts';
import { answer, ok } from '../lib/use-case.ts';
import { merchantAccess } from '../merchants/access.ts';
import { cancel, extendAuthorization } from './lifecycle.ts';
import { getOrder as get, listOrders as list } from './read.ts';
import { ListOrdersQuery, OrderIdParams } from './schema.ts';

/**
 * Order routes that move no money: no vault, no processor in this bundle. `POST /v1/orders` lives in
 * `create-handler.ts` (it may capture: `autoCapture`), captures and refunds in `capture-handler.ts`.
 */
const idempotency = { scope: (principal: { merchantId: string }) => principal.merchantId };

export const getOrder = httpHandler(
  { auth: merchantAccess, params: OrderIdParams },
  async ({ principal, params }) => ok(await get(principal, params.id)),
);

export const listOrders = httpHandler(
  { auth: merchantAccess, query: ListOrdersQuery },
  async ({ principal, query }) => ok(await list(principal, query)),
);

export const cancelOrder = httpHandler(
  { auth: merchantAccess, params: OrderIdParams, idempotency },
  async ({ principal, params, commit }) =>
    answer(commit, ok, (port) => cancel(principal, params.id, port, clock())),
);

export const extendOrderAuthorization = httpHandler(
  { auth: merchantAccess, params: OrderIdParams, idempotency },
  async ({ principal, params, commit }) =>
    answer(commit, ok, (port) => extendAuthorization(principal, params.id, port, clock())),
);
