/** The customer's card routes. The operator's re-wrap (KMS ReEncrypt) is in `rewrap-handler.ts`. */
import { clock } from '../lib/clock.ts';
import { DomainError } from '../lib/errors.ts';
import { type HttpEvent, httpHandler } from '../lib/http.ts';
import { deviceHash, ipHash, originOf } from '../lib/origin.ts';
import { answer, ok } from '../lib/use-case.ts';
import { assessRisk, recordRiskSignal, riskRefusal } from '../monitoring/risk.ts';
import { openOrdersPaidBy } from '../orders/collection-face.ts';
import { customerAccess } from '../sessions/access.ts';
import { requireStepUp, stepUpAlreadyUsed } from '../twofa/gate.ts';
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
/**
 * Account monitoring for a card being added: assessed once its fingerprint is known (declined:
 * 402 `risk_declined`; held for review: 403 `risk_review_hold`; the add_card step-up is always
 * required, so a review that asks for one is met). A card the vault refuses counts as a decline
 * from this IP, and of that card when its number was valid, for the card-testing rule.
 */
function monitoring(event: HttpEvent, headers: Record<string, string | undefined>, customerId: string) {
  const origin = originOf(event, headers);
  return {
    screen: async (fingerprintId: string) => {
      const decision = await assessRisk(
        {
          action: 'add_card',
          customerId,
          cardFingerprint: fingerprintId,
          deviceId: await deviceHash(origin),
          ipHash: await ipHash(origin),
        },
        clock(),
      );
      const refusal = riskRefusal(decision);
      if (refusal) throw refusal;
    },
    refused: async (fingerprintId: string | undefined) =>
      recordRiskSignal(
        {
          signal: 'card_decline',
          customerId,
          ipHash: await ipHash(origin),
          ...(fingerprintId ? { cardFingerprint: fingerprintId } : {}),
        },
        clock(),
      ),
  };
}

export const addCard = httpHandler(
  { auth: customerAccess, body: AddCardBody },
  async ({ principal, body, headers, event, commit }) => {
    const stepUp = await requireStepUp({ headers, customerId: principal.customerId, action: 'add_card' });
    const risk = monitoring(event, headers, principal.customerId);
    try {
      return await answer(commit, savedCard, (port) =>
        vault.addCard(principal.customerId, body, {
          authorization: [stepUp],
          commit: port,
          screen: risk.screen,
          refused: risk.refused,
        }),
      );
    } catch (error) {
      if (error instanceof DomainError && error.code === 'step_up_invalid')
        throw await stepUpAlreadyUsed(stepUp);
      throw error;
    }
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
