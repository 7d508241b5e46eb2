/**
 * The installments capability's face: what other capabilities (checkout, orders, merchants,
 * collection) may use. Pure calculation over integer minor units, no I/O: the plan catalogue and its
 * schemas, the payment schedule with its Truth in Lending disclosure figures, refund allocation (last
 * installment first) and late fees. Re-exports only, so a bundle keeps just what it calls.
 */
export type { Disclosure } from './amortization.ts';
export { BILLING_INTERVALS, type BillingInterval, billingDate, firstPeriodOnOrAfter } from './cadence.ts';
export {
  assertAmountWithinLimits,
  DEFAULT_PLAN_CATALOGUE,
  type Fees,
  findPlan,
  lateFeeCap,
  nextLateFee,
  type Plan,
  type PlanCatalogue,
  PlanCatalogueSchema,
  type PlanId,
  PlanIdSchema,
  planFees,
} from './plans.ts';
export {
  applyRefund,
  type InstallmentStatus,
  type RefundableInstallment,
  type RefundLine,
  type RefundResult,
  refundCapacity,
} from './refund.ts';
export { buildSchedule, type Schedule, type ScheduledInstallment, type ScheduleOptions } from './schedule.ts';
export { DisclosureResponse, ScheduledInstallmentResponse } from './schema.ts';
