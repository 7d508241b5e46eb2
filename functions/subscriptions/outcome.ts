/**
 * A period's charge outcome, back on its subscription. The charger reports every outcome of an
 * installment of a subscription's period order (the renewal's first attempt, and dunning's retries
 * through the ordinary collection path): only the latest period's order moves the status.
 *
 * - paid: a `past_due` subscription is `active` again (the shopper set another card and the next
 *   run collected the period);
 * - a soft decline with a retry ahead (dunning): `subscription.payment_failed`, still `active`;
 * - a hard decline, or a soft one with the retries spent: `subscription.payment_failed` and
 *   `subscription.past_due`, status `past_due`. Renewals go on: each period is its own order with
 *   its own dunning (as Stripe does by default).
 * Each outcome is taken once (`lastOutcome` = `<orderId>#<attempt>`): a redelivered message writes
 * and sends nothing.
 */
import type { Clock } from '../lib/clock.ts';
import { Transaction, writeTransaction } from '../lib/transactions.ts';
import type { CollectOutcome } from '../orders/collection-face.ts';
import * as store from './store.ts';
import { subscriptionEventItems } from './view.ts';

/** Rounds against concurrent changes of the subscription (a renewal, a pause) before giving up. */
const ROUNDS = 3;

/** The change an outcome makes, or undefined for none. */
function changeFor(s: store.SubscriptionRecord, outcome: CollectOutcome, key: string, clock: Clock) {
  const at = clock.now().toISOString();
  if (outcome.result === 'paid') {
    if (s.status !== 'past_due') return undefined;
    const after: store.SubscriptionRecord = {
      ...s,
      status: 'active',
      lastOutcome: key,
      version: s.version + 1,
      updatedAt: at,
    };
    return { after, items: [] };
  }
  if (outcome.result !== 'failed_soft' && outcome.result !== 'failed_hard') return undefined;
  const detail = { failedOrderId: s.latestOrderId, willRetry: outcome.retried === true };
  const failed: store.SubscriptionRecord = { ...s, lastOutcome: key, version: s.version + 1, updatedAt: at };
  const items = subscriptionEventItems('subscription.payment_failed', failed, clock, detail);
  if (outcome.retried) return { after: failed, items };
  const pastDue: store.SubscriptionRecord = { ...failed, status: 'past_due', version: failed.version + 1 };
  return {
    after: pastDue,
    items: [...items, ...subscriptionEventItems('subscription.past_due', pastDue, clock, detail)],
  };
}

/**
 * Takes the outcome of a charge of a subscription's period order (no-op for any other). Throws only
 * on infrastructure errors; losing every round to concurrent changes leaves the status as it was
 * (the next outcome or renewal sets it right) rather than failing the charge's message.
 */
export async function subscriptionChargeOutcome(outcome: CollectOutcome, clock: Clock): Promise<void> {
  const link = outcome.subscription;
  if (!link || outcome.result === 'skipped') return;
  const key = `${link.orderId}#${link.attempt}`;
  for (let round = 0; round < ROUNDS; round += 1) {
    const s = await store.getSubscription(link.id);
    if (!s || s.latestOrderId !== link.orderId || s.lastOutcome === key) return;
    if (s.status !== 'active' && s.status !== 'past_due') return;
    const change = changeFor(s, outcome, key, clock);
    if (!change) return;
    const tx = new Transaction<'subscription'>().add(
      'subscription',
      store.subscriptionChangeItem(s, change.after),
      ...change.items,
    );
    try {
      await writeTransaction(tx.items);
      return;
    } catch (error) {
      if (!tx.cancellation(error)) throw error;
    }
  }
}
