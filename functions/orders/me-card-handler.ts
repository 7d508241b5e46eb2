/** `PUT /v1/me/orders/{id}/card`: reads the customer's card through the vault face (no KMS use). */
import { clock } from '../lib/clock.ts';
import { httpHandler } from '../lib/http.ts';
import { answer, ok } from '../lib/use-case.ts';
import { customerAccess } from '../sessions/access.ts';
import { getCard } from '../vault/access.ts';
import { changeOrderCard } from './card-change.ts';
import { ChangeOrderCardBody } from './me-schema.ts';
import { OrderIdParams } from './schema.ts';

export const changeMyOrderCard = httpHandler(
  { auth: customerAccess, params: OrderIdParams, body: ChangeOrderCardBody },
  async ({ principal, params, body, commit }) =>
    answer(commit, ok, (port) =>
      changeOrderCard(principal, params.id, body.cardToken, getCard, port, clock()),
    ),
);
