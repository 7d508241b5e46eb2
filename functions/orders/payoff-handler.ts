/** `POST /v1/me/orders/{id}/payoff`: the charger charges the card (see ./payoff.ts). */
import { clock } from '../lib/clock.ts';
import { httpHandler } from '../lib/http.ts';
import { answer, ok } from '../lib/use-case.ts';
import { customerAccess } from '../sessions/access.ts';
import { customerIdempotency } from './me-orders.ts';
import { payoff } from './payoff.ts';
import { OrderIdParams } from './schema.ts';

export const payOffMyOrder = httpHandler(
  { auth: customerAccess, params: OrderIdParams, idempotency: customerIdempotency },
  async ({ principal, params, commit }) =>
    answer(commit, ok, (port) => payoff(principal, params.id, port, clock())),
);
