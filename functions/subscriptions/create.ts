/**
 * `POST /v1/subscriptions`: a merchant bills a shopper on a cadence under their agreement (customer
 * token). Nothing is charged here: each period, from the first billing day (start date + trial
 * days) on, is renewed and charged by the collection run of its day (./renew.ts), through the same
 * due index, charger, dunning and disputes as every installment.
 */

import {
  agreementActiveItem,
  cadenceAllows,
  chargeableAgreement,
  customerTokenRevoked,
} from '../agreements/access.ts';
import { assertAmountWithinLimits, findPlan } from '../installments/terms.ts';
import { addDays, type Clock, isoDay } from '../lib/clock.ts';
import { DomainError } from '../lib/errors.ts';
import { newId } from '../lib/ids.ts';
import { Transaction } from '../lib/transactions.ts';
import type { Commit } from '../lib/use-case.ts';
import { merchantActiveItem, merchantSuspended } from '../merchants/access.ts';
import type { CreateSubscriptionBody, SubscriptionResponse } from './schema.ts';
import * as store from './store.ts';
import { subscriptionEventItems, toSubscription } from './view.ts';

/** How far ahead a subscription may start. */
export const MAX_START_AHEAD_DAYS = 365;

function startDateOf(body: CreateSubscriptionBody, today: string): string {
  const startDate = body.startDate ?? today;
  if (startDate < today || startDate > addDays(today, MAX_START_AHEAD_DAYS)) {
    throw new DomainError(
      'rejected',
      'start_date_out_of_range',
      `startDate must be from today (${today}) to ${MAX_START_AHEAD_DAYS} days ahead.`,
      'startDate',
    );
  }
  return startDate;
}

/**
 * Creates the subscription, indexed for its first billing day, with `subscription.created`, in ONE
 * transaction with the idempotency record, conditioned on the agreement still active and the
 * merchant active. Refusals (nothing written): rejected `start_date_out_of_range`,
 * `customer_token_invalid` (unknown, another merchant's or mode's), `customer_token_revoked`,
 * `amount_above_agreement_max`, `cadence_not_agreed`, `amount_out_of_range` (the subscription
 * plan's limits), `plan_not_offered`; denied `merchant_suspended`.
 */
export async function createSubscription(
  principal: { merchantId: string; livemode: boolean },
  body: CreateSubscriptionBody,
  commit: Commit<SubscriptionResponse>,
  clock: Clock,
): Promise<SubscriptionResponse> {
  const now = clock.now();
  const startDate = startDateOf(body, isoDay(now));
  const charge = { amount: body.amount, currency: body.currency };
  const agreement = await chargeableAgreement(principal, body.customerToken, charge, 'body');
  if (!cadenceAllows(agreement, body.interval, body.intervalCount)) {
    throw new DomainError(
      'rejected',
      'cadence_not_agreed',
      `The shopper agreed to ${agreement.cadence} charges, not every ${body.intervalCount} ${body.interval}(s).`,
      'interval',
    );
  }
  assertAmountWithinLimits(findPlan('subscription'), body.amount, body.currency);
  const anchor = addDays(startDate, body.trialDays);
  const at = now.toISOString();
  const subscription: store.SubscriptionRecord = {
    id: newId('subscription', now),
    merchantId: principal.merchantId,
    livemode: principal.livemode,
    customerId: agreement.customerId,
    customerToken: agreement.id,
    ...(body.merchantReference === undefined ? {} : { merchantReference: body.merchantReference }),
    ...charge,
    interval: body.interval,
    intervalCount: body.intervalCount,
    anchor,
    startDate,
    ...(body.trialDays > 0 ? { trialEnd: anchor } : {}),
    status: 'active',
    period: 0,
    nextBillingDate: anchor,
    cancelAtPeriodEnd: false,
    version: 1,
    createdAt: at,
    updatedAt: at,
  };
  const response = toSubscription(subscription);
  await new Transaction<'subscription' | 'agreement' | 'merchant'>()
    .add(
      'subscription',
      store.putSubscriptionItem(subscription),
      ...subscriptionEventItems('subscription.created', subscription, clock),
    )
    .add('agreement', agreementActiveItem(agreement.id, principal.merchantId))
    .add('merchant', merchantActiveItem(principal.merchantId))
    .write(
      (items) => commit(items, response),
      (cancelled) => {
        if (cancelled.lost('merchant')) return merchantSuspended();
        if (cancelled.lost('agreement')) return customerTokenRevoked('customerToken');
        return new DomainError('conflict', 'concurrent_update', 'Changed meanwhile; retry this request.');
      },
    );
  return response;
}
