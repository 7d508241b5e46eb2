/**
 * The recurring agreement a checkout session asks for, as the agreements capability reads it when
 * the shopper approves it (through checkout's face, ./approval.ts): the proof that this merchant
 * asked this shopper (the session's client secret), and the item that records the approval on the
 * session in the agreements capability's own transaction.
 */
import type { AgreementTerms } from '../lib/agreement-terms.ts';
import { DomainError } from '../lib/errors.ts';
import type { CurrencyCode } from '../lib/money.ts';
import type { TransactItem } from '../lib/transactions.ts';
import { sessionForClient } from './session.ts';
import * as store from './store.ts';

/** What the shopper approves: the merchant's request on the session, in the session's currency. */
export interface AgreementOffer {
  checkoutSessionId: string;
  merchantId: string;
  livemode: boolean;
  currency: CurrencyCode;
  terms: AgreementTerms;
  /** Set once a shopper approved it: the agreement's id (its customer token) and who approved. */
  approved?: { agreementId: string; customerId: string };
}

/**
 * The agreement session `sessionId` asks for, read with its client secret. Refusals: not_found
 * `resource_missing`; denied `client_token_invalid`; rejected `checkout_session_expired`,
 * `agreement_not_requested`, `checkout_session_approved` (another shopper approved the session).
 * A completed session (its order exists) still takes the agreement until the session expires: the
 * hosted page approves the purchase first, the agreement right after.
 */
export async function agreementOffer(
  sessionId: string,
  customerId: string,
  clientToken: string,
  now: Date,
): Promise<AgreementOffer> {
  const session = await sessionForClient(sessionId, clientToken);
  if (now.getTime() >= session.expiresAtMs) {
    throw new DomainError('rejected', 'checkout_session_expired', 'This checkout session has expired.');
  }
  if (!session.agreement) {
    throw new DomainError(
      'rejected',
      'agreement_not_requested',
      'This checkout session asks for no recurring agreement.',
    );
  }
  if (session.approvedBy !== undefined && session.approvedBy !== customerId) {
    throw new DomainError(
      'rejected',
      'checkout_session_approved',
      'This checkout session was approved by another shopper.',
    );
  }
  return {
    checkoutSessionId: session.id,
    merchantId: session.merchantId,
    livemode: session.livemode,
    currency: session.currency,
    terms: session.agreement,
    ...(session.agreementId && session.agreementBy
      ? { approved: { agreementId: session.agreementId, customerId: session.agreementBy } }
      : {}),
  };
}

/**
 * The session's side of an agreement approval, for the approver's transaction: it fails (condition)
 * when the session asks for none, expired, already has one, or was approved by another shopper.
 */
export function agreementApprovedItem(
  offer: AgreementOffer,
  customerId: string,
  agreementId: string,
  now: Date,
): TransactItem {
  return store.approveAgreementItem(
    offer.checkoutSessionId,
    customerId,
    agreementId,
    now.getTime(),
    now.toISOString(),
  );
}
