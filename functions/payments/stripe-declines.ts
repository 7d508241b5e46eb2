/**
 * Stripe's decline codes mapped onto the port's `DeclineCode`, split hard (never retry) and soft
 * (the dunning schedule may retry). Source: Stripe's decline code reference
 * (https://docs.stripe.com/declines/codes), whose "next steps" column says whether the shopper or
 * a later attempt can succeed. Anything not listed is soft: retrying an unknown decline costs one
 * more attempt; treating it as hard could end a plan that would have been paid.
 */
import type { DeclineCode } from './processor-port.ts';

/** The issuer will not approve this card again: lost, stolen, closed or blocked. */
const HARD: Readonly<Record<string, DeclineCode>> = {
  lost_card: 'lost_card',
  stolen_card: 'stolen_card',
  pickup_card: 'stolen_card',
  expired_card: 'expired_card',
  restricted_card: 'card_unavailable',
  invalid_account: 'card_unavailable',
  new_account_information_available: 'card_unavailable',
  card_not_supported: 'card_unavailable',
  currency_not_supported: 'card_unavailable',
  do_not_honor_permanently: 'card_unavailable',
  do_not_try_again: 'card_unavailable',
  revocation_of_all_authorizations: 'card_unavailable',
  revocation_of_authorization: 'card_unavailable',
  stop_payment_order: 'card_unavailable',
  security_violation: 'card_unavailable',
  fraudulent: 'card_unavailable',
  merchant_blacklist: 'card_unavailable',
  incorrect_number: 'card_unavailable',
  invalid_number: 'card_unavailable',
  invalid_expiry_month: 'expired_card',
  invalid_expiry_year: 'expired_card',
};

/** A later attempt may succeed: funds, limits, issuer availability, generic declines. */
const SOFT: Readonly<Record<string, DeclineCode>> = {
  insufficient_funds: 'insufficient_funds',
  card_velocity_exceeded: 'insufficient_funds',
  withdrawal_count_limit_exceeded: 'insufficient_funds',
  processing_error: 'processing_error',
  issuer_not_available: 'processing_error',
  try_again_later: 'processing_error',
  reenter_transaction: 'processing_error',
  duplicate_transaction: 'processing_error',
  generic_decline: 'card_declined',
  do_not_honor: 'card_declined',
  call_issuer: 'card_declined',
  approve_with_id: 'card_declined',
  authentication_required: 'card_declined',
  not_permitted: 'card_declined',
  transaction_not_allowed: 'card_declined',
  service_not_allowed: 'card_declined',
  no_action_taken: 'card_declined',
  card_declined: 'card_declined',
};

export interface MappedDecline {
  code: DeclineCode;
  hard: boolean;
  /** Stripe's own code, kept for support and reconciliation (never shown to shoppers as is). */
  acquirerCode: string;
}

/**
 * Maps a Stripe card error: its `decline_code` when present (the issuer's reason), else its error
 * `code` (`expired_card`, `incorrect_number`, `processing_error`, `card_declined`, …).
 */
export function mapStripeDecline(
  declineCode: string | undefined,
  errorCode: string | undefined,
): MappedDecline {
  const acquirerCode = declineCode ?? errorCode ?? 'card_declined';
  const hard = HARD[acquirerCode];
  if (hard) return { code: hard, hard: true, acquirerCode };
  return { code: SOFT[acquirerCode] ?? 'card_declined', hard: false, acquirerCode };
}
