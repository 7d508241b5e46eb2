/**
 * The agreements face (the one file other capabilities import): what a merchant-initiated charge
 * under a customer token needs. Subscriptions check a token when one is created, re-read it at each
 * renewal, screen each period's charge with account monitoring, and condition the renewal's
 * transaction on the agreement still being active.
 */

import type { Clock } from '../lib/clock.ts';
import { DomainError } from '../lib/errors.ts';
import type { CurrencyCode } from '../lib/money.ts';
import { usdMinorEquivalent } from '../lib/money.ts';
import { assessRisk, type RiskDecision, riskRefusal } from '../monitoring/risk.ts';
import type { RecurringCharge } from '../orders/collection-face.ts';
import * as store from './store.ts';

export type { AgreementRecord } from './store.ts';
export { agreementActiveItem } from './store.ts';

/** The agreement behind a customer token, whatever its state (a renewal decides what to do). */
export const readAgreement = (token: string) => store.getAgreement(token);

/**
 * The active agreement `token` of this merchant and mode, admitting a charge of `amount` `currency`.
 * Refusals: `missing` (unknown, another merchant's or mode's, indistinguishable: 404
 * `resource_missing` for a token in the path, 422 `customer_token_invalid` for one in the body);
 * rejected `customer_token_revoked`, `amount_above_agreement_max` (above the maximum per charge, or
 * another currency than agreed).
 */
export async function chargeableAgreement(
  principal: { merchantId: string; livemode: boolean },
  token: string,
  charge: { amount: number; currency: CurrencyCode },
  tokenAt: 'path' | 'body',
): Promise<store.AgreementRecord> {
  const agreement = await store.getAgreement(token);
  if (
    !agreement ||
    agreement.merchantId !== principal.merchantId ||
    agreement.livemode !== principal.livemode
  ) {
    throw tokenAt === 'path'
      ? new DomainError('not_found', 'resource_missing', `No such customer token: ${token}.`, 'id')
      : new DomainError(
          'rejected',
          'customer_token_invalid',
          'The customerToken is not valid for this merchant.',
          'customerToken',
        );
  }
  if (agreement.status !== 'active') throw customerTokenRevoked(tokenAt === 'path' ? 'id' : 'customerToken');
  assertWithinAgreement(agreement, charge);
  return agreement;
}

/** The refusal of a revoked agreement's token (also when a revocation lands mid-request). */
export const customerTokenRevoked = (param: 'id' | 'customerToken') =>
  new DomainError(
    'rejected',
    'customer_token_revoked',
    'The shopper revoked this agreement; it charges nothing more.',
    param,
  );

/** 422 `amount_above_agreement_max` unless the charge is in the agreed currency and within its maximum. */
export function assertWithinAgreement(
  agreement: Pick<store.AgreementRecord, 'maxAmount' | 'currency'>,
  charge: { amount: number; currency: CurrencyCode },
): void {
  if (charge.currency !== agreement.currency) {
    throw new DomainError(
      'rejected',
      'amount_above_agreement_max',
      `The agreement is in ${agreement.currency}; it admits no charge in ${charge.currency}.`,
      'currency',
    );
  }
  if (charge.amount > agreement.maxAmount) {
    throw new DomainError(
      'rejected',
      'amount_above_agreement_max',
      `The amount is above the agreement's maximum per charge (${agreement.maxAmount} minor units).`,
      'amount',
    );
  }
}

/** Whether the agreed cadence admits a subscription billed every `intervalCount` `interval`s. */
export function cadenceAllows(
  agreement: Pick<store.AgreementRecord, 'cadence'>,
  interval: 'week' | 'month' | 'year',
  intervalCount: number,
): boolean {
  if (agreement.cadence === 'on_demand') return true;
  const agreed = { weekly: 'week', monthly: 'month', yearly: 'year' }[agreement.cadence];
  return agreed === interval && intervalCount === 1;
}

/**
 * Account monitoring's assessment of a charge made without the shopper present: the same rules as
 * a checkout approval (monitoring/risk.ts, action `checkout`), on the shopper, the amount and the
 * agreement's card. Returns the decision and the refusal it calls for (402 `risk_declined`; 403
 * `risk_review_hold` on any review: no step-up can be asked of an absent shopper), or none.
 */
export async function screenCharge(
  agreement: store.AgreementRecord,
  charge: { amount: number; currency: CurrencyCode },
  clock: Clock,
): Promise<{ decision: RiskDecision; refusal?: DomainError }> {
  const decision = await assessRisk(
    {
      action: 'checkout',
      customerId: agreement.customerId,
      amountUsdMinor: usdMinorEquivalent(charge.amount, charge.currency),
      cardToken: agreement.cardToken,
      ...(agreement.cardFingerprint ? { cardFingerprint: agreement.cardFingerprint } : {}),
    },
    clock,
  );
  const refusal = riskRefusal(decision, { stepUpAvailable: false });
  return refusal ? { decision, refusal } : { decision };
}

/**
 * The merchant-initiated order of a charge under `agreement` (orders/recurring.ts): the parties, the
 * checkout session and the card from the agreement; the amount, reference and ids from the charge;
 * account monitoring's decision as the order records it (a decline never makes an order).
 */
export function agreementCharge(
  agreement: store.AgreementRecord,
  charge: {
    orderId: string;
    merchantReference: string;
    amount: number;
    currency: CurrencyCode;
    subscriptionId?: string;
  },
  decision: RiskDecision,
): RecurringCharge {
  return {
    ...charge,
    merchantId: agreement.merchantId,
    livemode: agreement.livemode,
    customerId: agreement.customerId,
    customerToken: agreement.id,
    checkoutSessionId: agreement.checkoutSessionId,
    cardToken: agreement.cardToken,
    ...(agreement.cardFingerprint ? { cardFingerprint: agreement.cardFingerprint } : {}),
    cardBrand: agreement.cardBrand,
    cardLast4: agreement.cardLast4,
    riskDecision: {
      id: decision.id,
      decision: decision.decision === 'review' ? 'review' : 'approve',
      score: decision.score,
    },
  };
}
