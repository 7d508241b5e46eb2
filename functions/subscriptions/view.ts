/** The subscription as the API and its events show it, and the events of its changes. */
import type { Clock } from '../lib/clock.ts';
import type { TransactItem } from '../lib/transactions.ts';
import { type WebhookEventType, webhookEventItems } from '../webhooks/events.ts';
import type { SubscriptionResponse } from './schema.ts';
import type { SubscriptionRecord } from './store.ts';

export function toSubscription(s: SubscriptionRecord): SubscriptionResponse {
  return {
    id: s.id,
    object: 'subscription',
    status: s.status,
    livemode: s.livemode,
    customerToken: s.customerToken,
    ...(s.merchantReference === undefined ? {} : { merchantReference: s.merchantReference }),
    amount: s.amount,
    currency: s.currency,
    interval: s.interval,
    intervalCount: s.intervalCount,
    startDate: s.startDate,
    ...(s.trialEnd === undefined ? {} : { trialEnd: s.trialEnd }),
    billingAnchor: s.anchor,
    periodsBilled: s.period,
    // Ending at period end: the day is when it ends, not a billing date.
    nextBillingDate: s.cancelAtPeriodEnd ? null : (s.nextBillingDate ?? null),
    ...(s.cancelAtPeriodEnd && s.nextBillingDate ? { endsOn: s.nextBillingDate } : {}),
    ...(s.pendingAmount
      ? { pendingAmount: { amount: s.pendingAmount.amount, effectiveDate: s.pendingAmount.effectiveDate } }
      : {}),
    cancelAtPeriodEnd: s.cancelAtPeriodEnd,
    ...(s.canceledAt === undefined ? {} : { canceledAt: s.canceledAt }),
    ...(s.cancelReason === undefined ? {} : { cancelReason: s.cancelReason }),
    ...(s.latestOrderId === undefined ? {} : { latestOrderId: s.latestOrderId }),
    version: s.version,
    createdAt: s.createdAt,
    updatedAt: s.updatedAt,
  };
}

/**
 * The webhook event of a change, in the change's transaction. `subscription` is the record AFTER the
 * change: its version is the event's sequence (one event per version).
 */
export function subscriptionEventItems(
  type: Extract<WebhookEventType, `subscription.${string}`>,
  subscription: SubscriptionRecord,
  clock: Clock,
  extra: Record<string, unknown> = {},
): TransactItem[] {
  return webhookEventItems(
    {
      merchantId: subscription.merchantId,
      type,
      objectId: subscription.id,
      sequence: subscription.version,
      data: { ...toSubscription(subscription), ...extra },
    },
    clock,
  );
}
