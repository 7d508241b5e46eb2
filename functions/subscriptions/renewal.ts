/**
 * The subscriptions face (the one file other capabilities import): what collection needs. The shard
 * worker tells a renewal from an installment in the `due` index by its id; the charger renews a
 * subscription, and hands every charge outcome of a subscription's period order back to it.
 */

export { subscriptionChargeOutcome } from './outcome.ts';
export { type RenewalOutcome, renewSubscription } from './renew.ts';

/** True for a due-index entry that is a subscription's renewal (its sort key is the `sub_…` id). */
export const isRenewalRef = (ref: { installmentId: string }): boolean => ref.installmentId.startsWith('sub_');
