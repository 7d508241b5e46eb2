/**
 * A subscription's renewal, run by the charger for a subscription the collection run found in the
 * `due` index on its billing day (the shard worker sends `action: 'renew'`). Exactly once per
 * period: the period's order and the subscription's move to the next period commit in ONE
 * transaction conditioned on the subscription's version, so of two chargers renewing at once one
 * wins and the other skips; the order's one installment is claimed (`charging`, attempt 1) in that
 * same transaction and charged right after with the processor key `<installmentId>#1`. A charger that
 * dies in between leaves it `charging` in the due index, where the next run's reconciler settles it
 * (orders/collect.ts). From there the period is any order: dunning, late fees, disputes, refunds.
 */
import { agreementActiveItem, agreementCharge, readAgreement, screenCharge } from '../agreements/access.ts';
import { billingDate } from '../installments/terms.ts';
import type { Clock } from '../lib/clock.ts';
import { newId } from '../lib/ids.ts';
import { type TransactItem, Transaction, writeTransaction } from '../lib/transactions.ts';
import { isMerchantActive } from '../merchants/access.ts';
import { type CollectOutcome, chargeClaimedInstallment, recurringOrder } from '../orders/collection-face.ts';
import type { CardProcessor } from '../payments/processor.ts';
import { canceled } from './manage.ts';
import { subscriptionChargeOutcome } from './outcome.ts';
import * as store from './store.ts';
import { subscriptionEventItems } from './view.ts';

export interface RenewalOutcome {
  /**
   * `renewed`: the period's order was made and charged (`charge` says how it went); `canceled`: the
   * subscription ended instead (at period end, or its agreement revoked); `risk_refused`: account
   * monitoring refused the period's charge, which was skipped; `skipped`: nothing to do now.
   */
  renewal: 'renewed' | 'canceled' | 'risk_refused' | 'skipped';
  /** `merchant_suspended`: the renewal stays indexed on its day; the runs after reactivation bill it. */
  reason?: 'settled' | 'not_due_yet' | 'claimed_elsewhere' | 'merchant_suspended';
  charge?: CollectOutcome;
}

const skipped = (reason: NonNullable<RenewalOutcome['reason']>): RenewalOutcome => ({
  renewal: 'skipped',
  reason,
});

/** The subscription one period on: its amount for the period billed now, the next billing day. */
function advanced(
  s: store.SubscriptionRecord,
  at: string,
): { next: store.SubscriptionRecord; amount: number } {
  const applies = s.pendingAmount !== undefined && s.period >= s.pendingAmount.fromPeriod;
  const amount = applies && s.pendingAmount ? s.pendingAmount.amount : s.amount;
  const { pendingAmount, ...rest } = s;
  const period = s.period + 1;
  const next: store.SubscriptionRecord = {
    ...rest,
    ...(applies || !pendingAmount ? {} : { pendingAmount }),
    amount,
    period,
    nextBillingDate: billingDate(s.anchor, s.interval, s.intervalCount, period),
    version: s.version + 1,
    updatedAt: at,
  };
  return { next, amount };
}

/** Writes the items; false when the subscription (or another part) lost its condition. */
async function tryWrite(items: TransactItem[]): Promise<boolean> {
  const tx = new Transaction<'all'>().add('all', ...items);
  try {
    await writeTransaction(tx.items);
    return true;
  } catch (error) {
    if (tx.cancellation(error)) return false;
    throw error;
  }
}

/**
 * Renews subscription `subscriptionId` for a run of `asOf` (YYYY-MM-DD): ends it instead when it
 * was to cancel at period end or its agreement is revoked (`subscription.canceled`: the merchant is
 * told), skips the period when account monitoring refuses its charge (`subscription.payment_failed`,
 * failureCode `risk_declined`), else makes and charges the period's order (`subscription.renewed`).
 * Safe to call any number of times for the same ref. Throws on infrastructure errors and on a
 * transaction conflict (nothing written either way: the queue redelivers the message).
 */
export async function renewSubscription(
  ref: { subscriptionId: string },
  asOf: string,
  processor: CardProcessor,
  clock: Clock,
): Promise<RenewalOutcome> {
  const s = await store.getSubscription(ref.subscriptionId);
  if (!s?.nextBillingDate || (s.status !== 'active' && s.status !== 'past_due')) return skipped('settled');
  if (s.nextBillingDate > asOf) return skipped('not_due_yet');
  const now = clock.now();
  const at = now.toISOString();
  const agreement = await readAgreement(s.customerToken);
  if (s.cancelAtPeriodEnd || agreement?.status !== 'active') {
    const ended = canceled(s, s.cancelAtPeriodEnd ? 'requested' : 'agreement_revoked', at);
    const items = [
      store.subscriptionChangeItem(s, ended),
      ...subscriptionEventItems('subscription.canceled', ended, clock),
    ];
    return (await tryWrite(items)) ? { renewal: 'canceled' } : skipped('claimed_elsewhere');
  }
  // Read, not a ConditionCheck in the renewal's transaction: a day's renewals of one merchant run
  // concurrently, and transactions sharing one item conflict (DynamoDB TransactionConflict).
  if (!(await isMerchantActive(s.merchantId))) return skipped('merchant_suspended');
  const { next, amount } = advanced(s, at);
  const charge = { amount, currency: s.currency };
  const screened = await screenCharge(agreement, charge, clock);
  if (screened.refusal) {
    const detail = { failureCode: 'risk_declined', skippedBillingDate: s.nextBillingDate };
    const items = [
      store.subscriptionChangeItem(s, next),
      ...subscriptionEventItems('subscription.payment_failed', next, clock, detail),
    ];
    return (await tryWrite(items)) ? { renewal: 'risk_refused' } : skipped('claimed_elsewhere');
  }
  const orderId = newId('order', now);
  const recurring = recurringOrder(
    agreementCharge(
      agreement,
      { orderId, merchantReference: s.merchantReference ?? s.id, subscriptionId: s.id, ...charge },
      screened.decision,
    ),
    clock,
  );
  const renewed: store.SubscriptionRecord = { ...next, latestOrderId: orderId };
  const tx = new Transaction<'subscription' | 'order' | 'agreement'>()
    .add(
      'subscription',
      store.subscriptionChangeItem(s, renewed),
      ...subscriptionEventItems('subscription.renewed', renewed, clock, {
        orderId,
        billingDate: s.nextBillingDate,
        periodAmount: amount,
      }),
    )
    .add('order', ...recurring.items)
    .add('agreement', agreementActiveItem(agreement.id, s.merchantId));
  try {
    await writeTransaction(tx.items);
  } catch (error) {
    const cancelled = tx.cancellation(error);
    // Renewed, paused or canceled meanwhile (or the agreement revoked: the next run ends it).
    if (cancelled?.lost('subscription') || cancelled?.lost('agreement')) return skipped('claimed_elsewhere');
    // A conflict with a concurrent transaction (nothing written) or an outage: the queue redelivers.
    throw error;
  }
  const claimed = recurring.claimed[0];
  if (!claimed) return { renewal: 'renewed' };
  const outcome = await chargeClaimedInstallment(
    { orderId, installmentId: claimed.id, attempt: claimed.attempts },
    processor,
    clock,
  );
  // Paid on an active subscription changes nothing: no read of it again.
  if (outcome.result !== 'paid' || s.status === 'past_due') await subscriptionChargeOutcome(outcome, clock);
  return { renewal: 'renewed', charge: outcome };
}
