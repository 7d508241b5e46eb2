/** The customer's card routes. The operator's re-wrap (KMS ReEncrypt) is in `rewrap-handler.ts`. */
import { httpHandler } from '../lib/http.ts';
import { answer, ok } from '../lib/use-case.ts';
import { openOrdersPaidBy } from '../orders/collection-face.ts';
import { customerAccess } from '../sessions/access.ts';
import { requireStepUp } from '../twofa/gate.ts';
import { AddCardBody, CardListQuery, CardTokenParams } from './schema.ts';
import * as vault from './service.ts';

/** 201 with a new token; 200 with the existing one when the customer already saved this card. */
const savedCard = (outcome: vault.AddCardOutcome) => ({
  status: outcome.created ? 201 : 200,
  body: outcome.card,
});

/**
 * `POST /v1/me/cards`: a fresh `add_card` step-up, then tokenize. The step-up is consumed in the
 * same transaction as the card, so a failed save leaves it usable and a saved card used it up.
 */
export const addCard = httpHandler(
  { auth: customerAccess, body: AddCardBody },
  async ({ principal, body, headers, commit }) => {
    const stepUp = await requireStepUp({ headers, customerId: principal.customerId, action: 'add_card' });
    return answer(commit, savedCard, (port) =>
      vault.addCard(principal.customerId, body, { authorization: [stepUp], commit: port }),
    );
  },
);

export const listCards = httpHandler(
  { auth: customerAccess, query: CardListQuery },
  async ({ principal, query }) => ok(await vault.listCards(principal.customerId, query)),
);

export const deleteCard = httpHandler(
  { auth: customerAccess, params: CardTokenParams },
  async ({ principal, params, commit }) =>
    answer(commit, ok, (port) =>
      vault.deleteCard(principal.customerId, params.token, { commit: port, fundedOrders: openOrdersPaidBy }),
    ),
);
