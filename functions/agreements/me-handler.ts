/**
 * The shopper's agreement routes: approve a checkout session's agreement, list, revoke, change the
 * card. Approving and changing the card read the card summary through the vault face (no KMS use).
 */
import { clock } from '../lib/clock.ts';
import { httpHandler } from '../lib/http.ts';
import { answer, created, ok } from '../lib/use-case.ts';
import { customerAccess } from '../sessions/access.ts';
import { getCard } from '../vault/access.ts';
import { approveAgreement } from './approve.ts';
import { changeAgreementCard, listMyAgreements, revokeAgreement } from './me.ts';
import {
  AgreementParams,
  ApproveAgreementBody,
  ChangeAgreementCardBody,
  CheckoutSessionAgreementParams,
  ListAgreementsQuery,
} from './schema.ts';

export const approveCheckoutAgreement = httpHandler(
  { auth: customerAccess, params: CheckoutSessionAgreementParams, body: ApproveAgreementBody },
  async ({ principal, params, body, commit }) =>
    answer(commit, created, (port) => approveAgreement(principal, params.id, body, getCard, port, clock())),
);

export const listAgreements = httpHandler(
  { auth: customerAccess, query: ListAgreementsQuery },
  async ({ principal, query }) => ok(await listMyAgreements(principal, query)),
);

export const revokeMyAgreement = httpHandler(
  { auth: customerAccess, params: AgreementParams },
  async ({ principal, params, commit }) =>
    answer(commit, ok, (port) => revokeAgreement(principal, params.id, port, clock())),
);

export const changeMyAgreementCard = httpHandler(
  { auth: customerAccess, params: AgreementParams, body: ChangeAgreementCardBody },
  async ({ principal, params, body, commit }) =>
    answer(commit, ok, (port) =>
      changeAgreementCard(principal, params.id, body.cardToken, getCard, port, clock()),
    ),
);
