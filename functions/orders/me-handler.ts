/**
 * The shopper's order routes that need neither the vault nor the processor: the list, one order, and
 * the due-date extension. The card change is in `me-card-handler.ts` (it reads the vault) and the
 * payoff in `payoff-handler.ts` (it charges the card).
 */
import { clock } from '../lib/clock.ts';
import { httpHandler } from '../lib/http.ts';
import { answer, ok } from '../lib/use-case.ts';
import { customerAccess } from '../sessions/access.ts';
import { extendDueDate } from './due-date-extension.ts';
import { customerIdempotency, getMyOrder as get, listMyOrders as list } from './me-orders.ts';
import { ListMyOrdersQuery } from './me-schema.ts';
import { OrderIdParams } from './schema.ts';

export const listMyOrders = httpHandler(
  { auth: customerAccess, query: ListMyOrdersQuery },
  async ({ principal, query }) => ok(await list(principal, query)),
);

export const getMyOrder = httpHandler(
  { auth: customerAccess, params: OrderIdParams },
  async ({ principal, params }) => ok(await get(principal, params.id)),
);

export const extendMyOrderDueDate = httpHandler(
  { auth: customerAccess, params: OrderIdParams, idempotency: customerIdempotency },
  async ({ principal, params, commit }) =>
    answer(commit, ok, (port) => extendDueDate(principal, params.id, port, clock())),
);
