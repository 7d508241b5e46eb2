/**
 * `POST /v1/me/orders/{id}/payoff`: the charger charges the card (see ./payoff.ts);
 * `POST /v1/me/orders/{id}/balance-payments`: the balance pays (./balance-payoff.ts).
 */
import { clock } from '../lib/clock.ts';
import { httpHandler } from '../lib/http.ts';
import { answer, ok } from '../lib/use-case.ts';
import { customerAccess } from '../sessions/access.ts';
import { payFromMyBalance } from './balance-payoff.ts';
import { customerIdempotency } from './me-orders.ts';
import { BalancePaymentBody } from './me-schema.ts';
import { payoff } from './payoff.ts';
import { OrderIdParams } from './schema.ts';

export const payOffMyOrder = httpHandler(
  { auth: customerAccess, params: OrderIdParams, idempotency: customerIdempotency },
  async ({ principal, params, commit }) =>
    answer(commit, ok, (port) => payoff(principal, params.id, port, clock())),
);

/** `POST /v1/me/orders/{id}/balance-payments`: pays from the customer's balance (./balance-payoff.ts). */
export const payMyOrderFromBalance = httpHandler(
  { auth: customerAccess, params: OrderIdParams, body: BalancePaymentBody, idempotency: customerIdempotency },
  async ({ principal, params, body, commit }) =>
    answer(commit, ok, (port) => payFromMyBalance(principal, params.id, body, port, clock())),
);
