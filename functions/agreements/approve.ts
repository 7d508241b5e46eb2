/**
 * `POST /v1/checkout-sessions/{id}/agreement`: the shopper approves the recurring agreement a
 * merchant's checkout session asks for (purpose, maximum per charge, cadence), naming the saved card
 * the merchant may charge. The agreement's id is the customer token (`ctok_…`) the merchant reads
 * back from the session (`customerToken` on `GET /v1/checkout-sessions/{id}`) and charges with.
 */
import { type AgreementOffer, agreementApprovedItem, agreementOffer } from '../checkout/approval.ts';
import { auditItem } from '../lib/audit.ts';
import type { Clock } from '../lib/clock.ts';
import { DomainError } from '../lib/errors.ts';
import { newId } from '../lib/ids.ts';
import { Transaction } from '../lib/transactions.ts';
import type { Commit } from '../lib/use-case.ts';
import { isMerchantActive, merchantActiveItem } from '../merchants/access.ts';
import type { CardSummary } from '../vault/access.ts';
import type { AgreementResponse, ApproveAgreementBody } from './schema.ts';
import * as store from './store.ts';
import { toAgreement } from './view.ts';

/** A customer's saved card by token (the vault face's `getCard`); not_found for anyone else's. */
export type CardLookup = (customerId: string, token: string) => Promise<CardSummary>;

/** The shopper's saved card `token`, unexpired at `now` (rejected `card_expired`; not_found from the vault). */
export async function usableCard(
  cards: CardLookup,
  customerId: string,
  token: string,
  now: Date,
): Promise<CardSummary> {
  const card = await cards(customerId, token);
  const year = now.getUTCFullYear();
  if (card.expYear < year || (card.expYear === year && card.expMonth < now.getUTCMonth() + 1)) {
    throw new DomainError('rejected', 'card_expired', 'The card has expired.', 'cardToken');
  }
  return card;
}

const merchantUnavailable = () =>
  new DomainError('rejected', 'merchant_unavailable', 'This merchant cannot take approvals right now.');

/** The agreement a shopper approved on `offer`, charging `card`. */
function newAgreement(offer: AgreementOffer, customerId: string, card: CardSummary, now: Date) {
  const at = now.toISOString();
  const agreement: store.AgreementRecord = {
    id: newId('customerToken', now),
    merchantId: offer.merchantId,
    livemode: offer.livemode,
    customerId,
    checkoutSessionId: offer.checkoutSessionId,
    purpose: offer.terms.purpose,
    maxAmount: offer.terms.maxAmount,
    currency: offer.currency,
    cadence: offer.terms.cadence,
    cardToken: card.token,
    cardBrand: card.brand,
    cardLast4: card.last4,
    ...(card.fingerprintId ? { cardFingerprint: card.fingerprintId } : {}),
    status: 'active',
    version: 1,
    createdAt: at,
    updatedAt: at,
  };
  return agreement;
}

/**
 * Approves the session's agreement for the signed-in shopper. Writes, in one transaction: the
 * agreement, the session's record of it (the session asks for one, has none yet, is unexpired and
 * not approved by another shopper), the audit entry; conditioned on the merchant being active.
 * Approving again (same shopper) answers the agreement already made. Refusals: not_found (session,
 * card); denied `client_token_invalid`; rejected `checkout_session_expired`,
 * `agreement_not_requested`, `checkout_session_approved`, `agreement_already_approved` (another
 * shopper's), `merchant_unavailable`, `card_expired`; conflict `concurrent_update`.
 */
export async function approveAgreement(
  principal: { customerId: string },
  sessionId: string,
  body: ApproveAgreementBody,
  cards: CardLookup,
  commit: Commit<AgreementResponse>,
  clock: Clock,
): Promise<AgreementResponse> {
  const now = clock.now();
  const offer = await agreementOffer(sessionId, principal.customerId, body.clientToken, now);
  if (offer.approved) return existing(offer.approved, principal.customerId);
  if (!(await isMerchantActive(offer.merchantId))) throw merchantUnavailable();
  const card = await usableCard(cards, principal.customerId, body.cardToken, now);
  const agreement = newAgreement(offer, principal.customerId, card, now);
  const metadata = {
    merchantId: offer.merchantId,
    checkoutSessionId: offer.checkoutSessionId,
    maxAmount: agreement.maxAmount,
    currency: agreement.currency,
    cadence: agreement.cadence,
  };
  const response = toAgreement(agreement);
  await new Transaction<'agreement' | 'session' | 'merchant' | 'audit'>()
    .add('agreement', store.putAgreementItem(agreement))
    .add('session', agreementApprovedItem(offer, principal.customerId, agreement.id, now))
    .add('merchant', merchantActiveItem(offer.merchantId))
    .add(
      'audit',
      auditItem(
        { action: 'agreement.approved', subject: agreement.id, actor: principal.customerId, metadata },
        clock,
      ),
    )
    .write(
      (items) => commit(items, response),
      (cancelled) => {
        if (cancelled.lost('merchant')) return merchantUnavailable();
        // Approved meanwhile (by a concurrent request), or the session expired this very moment.
        if (cancelled.lost('session')) return taken();
        return new DomainError('conflict', 'concurrent_update', 'The session changed meanwhile; retry.');
      },
    );
  return response;
}

const taken = () =>
  new DomainError(
    'rejected',
    'agreement_already_approved',
    "This checkout session's agreement was already approved.",
  );

/** The agreement already approved on the session: this shopper's answers it again, another's is refused. */
async function existing(
  approved: { agreementId: string; customerId: string },
  customerId: string,
): Promise<AgreementResponse> {
  if (approved.customerId !== customerId) throw taken();
  const agreement = await store.getAgreement(approved.agreementId);
  if (!agreement) throw taken();
  return toAgreement(agreement);
}
