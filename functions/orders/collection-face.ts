/**
 * The orders face (the one file other capabilities may import). What the collection capability may
 * use of orders: the `due` index reads, the per-installment collect step (claim, charge, record,
 * reconcile) and the charge of an installment that capture or payoff claimed (with the message they
 * send); and what the vault may ask before deleting a card: which open orders it pays
 * (./card-funding.ts); and what the disputes capability does to a disputed order: hold it, resume
 * collection with the schedule shifted, or credit the shopper in full (./dispute-hold.ts,
 * ./dispute-credit.ts); and what the credit limit reads at checkout: the customer's exposure on
 * their open orders (./credit-exposure.ts). Nothing else of orders is reachable from there.
 */

export { openOrdersPaidBy } from './card-funding.ts';
export type { ClaimedCharge } from './charge-requests.ts';
/**
 * What the agreements and subscriptions capabilities use: a merchant-initiated order (a customer
 * token's charge, a subscription's period), handed to the charger after their commit, and the
 * `due` index attributes of a subscription renewal (the same index the dispatcher reads).
 */
export { requestCharges } from './charge-requests.ts';
export {
  CHARGING_TIMEOUT_MS,
  type CollectOutcome,
  chargeClaimedInstallment,
  collectInstallment,
  type DuePage,
  type DueRef,
  queryDuePage,
  SKIP_REASONS,
  type SkipReason,
  shardHasDue,
} from './collect.ts';
export { type CreditExposure, creditExposure } from './credit-exposure.ts';
export { creditFraud, type FraudCredit } from './dispute-credit.ts';
export {
  DISPUTABLE_STATUSES,
  type DisputedOrder,
  holdOrderItem,
  orderForCase,
  pausedDays,
  resumeAfterDispute,
} from './dispute-hold.ts';
export { DUE_SHARDS } from './policy.ts';
export { type RecurringCharge, recurringOrder } from './recurring.ts';
export { isInstallmentRef, REMINDER_DAYS_AHEAD, remindInstallment } from './reminders.ts';
/** What credit assessment may read of a customer's orders: how their installments were collected. */
export { type RepaymentHistory, repaymentHistory } from './repayment-history.ts';
export type { OrderResponse } from './schema.ts';
export { dueIndex } from './store.ts';
