/**
 * `POST /v1/customer-tokens/{id}/orders`: the merchant charges the shopper under their agreement,
 * without the shopper present. The order is the subscription plan's (the whole amount at capture),
 * authorized and captured at once; its payment goes to the charger, then on as any order's
 * (dunning, late fees, disputes, refunds).
 */
import type { Clock } from '../lib/clock.ts';
import { DomainError } from '../lib/errors.ts';
import { newId } from '../lib/ids.ts';
import type { CurrencyCode } from '../lib/money.ts';
import { Transaction } from '../lib/transactions.ts';
import type { Commit } from '../lib/use-case.ts';
import { merchantActiveItem, merchantSuspended } from '../merchants/access.ts';
import { type OrderResponse, recurringOrder, requestCharges } from '../orders/collection-face.ts';
import {
  agreementActiveItem,
  agreementCharge,
  chargeableAgreement,
  customerTokenRevoked,
  readAgreement,
  screenCharge,
} from './access.ts';
import type { AgreementResponse } from './schema.ts';
import { toAgreement } from './view.ts';

/**
 * Creates and captures the order, in ONE transaction with the idempotency record, conditioned on
 * the agreement still active and this merchant's and on the merchant being active; then hands the
 * payment to the charger. Reads: the agreement, account monitoring's aggregates. Refusals (nothing
 * written): not_found (the token is unknown, or another merchant's or mode's); rejected
 * `customer_token_revoked`, `amount_above_agreement_max`; 402 `risk_declined`, 403
 * `risk_review_hold`; denied `merchant_suspended`.
 */
export async function chargeCustomerToken(
  principal: { merchantId: string; livemode: boolean },
  token: string,
  body: { amount: number; currency: CurrencyCode; merchantReference: string },
  commit: Commit<OrderResponse>,
  clock: Clock,
): Promise<OrderResponse> {
  const charge = { amount: body.amount, currency: body.currency };
  const agreement = await chargeableAgreement(principal, token, charge, 'path');
  const screened = await screenCharge(agreement, charge, clock);
  if (screened.refusal) throw screened.refusal;
  const now = clock.now();
  const recurring = recurringOrder(
    agreementCharge(
      agreement,
      { orderId: newId('order', now), merchantReference: body.merchantReference, ...charge },
      screened.decision,
    ),
    clock,
  );
  await new Transaction<'order' | 'agreement' | 'merchant'>()
    .add('order', ...recurring.items)
    .add('agreement', agreementActiveItem(agreement.id, principal.merchantId))
    .add('merchant', merchantActiveItem(principal.merchantId))
    .write(
      (items) => commit(items, recurring.order),
      (cancelled) => {
        if (cancelled.lost('merchant')) return merchantSuspended();
        if (cancelled.lost('agreement')) return customerTokenRevoked('id');
        return new DomainError('conflict', 'concurrent_update', 'Changed meanwhile; retry this request.');
      },
    );
  await requestCharges(recurring.claimed, now);
  return recurring.order;
}

/** `GET /v1/customer-tokens/{id}`: the merchant's agreement (another merchant's or mode's is 404). */
export async function readCustomerToken(
  principal: { merchantId: string; livemode: boolean },
  token: string,
): Promise<AgreementResponse> {
  const agreement = await readAgreement(token);
  if (
    !agreement ||
    agreement.merchantId !== principal.merchantId ||
    agreement.livemode !== principal.livemode
  ) {
    throw new DomainError('not_found', 'resource_missing', `No such customer token: ${token}.`, 'id');
  }
  return toAgreement(agreement);
}
