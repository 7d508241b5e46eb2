/**
 * The shopper's agreements (`/v1/me/agreements`): list them, revoke one (the token is refused at
 * once: every charge re-checks the agreement in its own transaction), and change the card a merchant
 * charges under one. The tenant comes from the session, never from the path: another shopper's
 * agreement is 404.
 */
import { auditItem } from '../lib/audit.ts';
import type { Clock } from '../lib/clock.ts';
import { DomainError } from '../lib/errors.ts';
import { cursorPage } from '../lib/list-cursor.ts';
import { conflictOnCancel } from '../lib/transactions.ts';
import type { Commit } from '../lib/use-case.ts';
import { webhookEventItems } from '../webhooks/events.ts';
import { type CardLookup, usableCard } from './approve.ts';
import type { AgreementListResponse, AgreementResponse } from './schema.ts';
import * as store from './store.ts';
import { toAgreement } from './view.ts';

const missing = (id: string) =>
  new DomainError('not_found', 'resource_missing', `No such agreement: ${id}.`, 'id');

async function requireMine(customerId: string, id: string): Promise<store.AgreementRecord> {
  const agreement = await store.getAgreement(id);
  if (!agreement || agreement.customerId !== customerId) throw missing(id);
  return agreement;
}

/** `GET /v1/me/agreements`: newest first (400 `invalid_cursor` for a cursor not given to this shopper). */
export async function listMyAgreements(
  principal: { customerId: string },
  query: { limit: number; startingAfter?: string | undefined },
): Promise<AgreementListResponse> {
  const { items, ...rest } = await cursorPage(
    { name: 'agreements', owner: principal.customerId, kind: 'customerToken' },
    query,
    (limit, after) => store.listCustomerAgreements(principal.customerId, limit, after),
  );
  return { object: 'list', data: items.map(toAgreement), ...rest };
}

const CHANGED_MEANWHILE = 'The agreement changed meanwhile; retry.';

/**
 * `DELETE /v1/me/agreements/{id}`: revokes the agreement. Writes the change, the merchant's
 * `customer_token.revoked` event and the audit entry in one transaction. Revoking a revoked
 * agreement answers it as it is. Refusals: not_found; conflict `concurrent_update`.
 */
export async function revokeAgreement(
  principal: { customerId: string },
  id: string,
  commit: Commit<AgreementResponse>,
  clock: Clock,
): Promise<AgreementResponse> {
  const agreement = await requireMine(principal.customerId, id);
  if (agreement.status === 'revoked') return toAgreement(agreement);
  const at = clock.now().toISOString();
  const after: store.AgreementRecord = {
    ...agreement,
    status: 'revoked',
    revokedAt: at,
    version: agreement.version + 1,
    updatedAt: at,
  };
  const response = toAgreement(after);
  const items = [
    store.agreementUpdateItem(agreement, { status: 'revoked', revokedAt: at }, at),
    ...webhookEventItems(
      {
        merchantId: agreement.merchantId,
        type: 'customer_token.revoked',
        objectId: agreement.id,
        sequence: after.version,
        data: response,
      },
      clock,
    ),
    auditItem({ action: 'agreement.revoked', subject: agreement.id, actor: principal.customerId }, clock),
  ];
  await conflictOnCancel(() => commit(items, response), CHANGED_MEANWHILE);
  return response;
}

/**
 * `PUT /v1/me/agreements/{id}/card`: the card the merchant charges from the next charge on (a
 * period in dunning is moved with `PUT /v1/me/orders/{id}/card`). Refusals: not_found (agreement or
 * card); rejected `agreement_revoked`, `card_expired`; conflict `concurrent_update`.
 */
export async function changeAgreementCard(
  principal: { customerId: string },
  id: string,
  cardToken: string,
  cards: CardLookup,
  commit: Commit<AgreementResponse>,
  clock: Clock,
): Promise<AgreementResponse> {
  const agreement = await requireMine(principal.customerId, id);
  if (agreement.status === 'revoked') {
    throw new DomainError('rejected', 'agreement_revoked', 'The agreement is revoked; it cannot change.');
  }
  const now = clock.now();
  const card = await usableCard(cards, principal.customerId, cardToken, now);
  const at = now.toISOString();
  const set = {
    cardToken: card.token,
    cardBrand: card.brand,
    cardLast4: card.last4,
    ...(card.fingerprintId ? { cardFingerprint: card.fingerprintId } : {}),
  };
  const response = toAgreement({ ...agreement, ...set, version: agreement.version + 1, updatedAt: at });
  const items = [
    store.agreementUpdateItem(agreement, set, at),
    auditItem(
      { action: 'agreement.card_changed', subject: agreement.id, actor: principal.customerId },
      clock,
    ),
  ];
  await conflictOnCancel(() => commit(items, response), CHANGED_MEANWHILE);
  return response;
}
