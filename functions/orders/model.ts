/**
 * The order domain's records, as stored and as every part of the capability reads them: the store
 * writes them, the state machine decides on them, the views show them, the use cases change them.
 * This module imports no other module of the capability.
 */
import type { Disclosure, PlanId, ScheduledInstallment } from '../installments/terms.ts';
import type { CurrencyCode } from '../lib/money.ts';
import type { OrderData, OrderLine } from '../lib/order-lines.ts';
import type { ChargeResult } from '../payments/processor.ts';

/** Every status an order can have; the transitions between them are in ./state.ts. */
export const ORDER_STATUSES = [
  'authorized',
  'captured',
  'in_arrears',
  'paid_off',
  'refunded',
  'cancelled',
  'expired',
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** `OrderData`: the lines, shipping and tax amounts and addresses, from the checkout or an update. */
export interface OrderRecord extends OrderData {
  id: string;
  merchantId: string;
  livemode: boolean;
  customerId: string;
  checkoutSessionId: string;
  merchantReference: string;
  status: OrderStatus;
  amount: number;
  currency: CurrencyCode;
  plan: PlanId;
  termMonths?: number;
  aprBps?: number;
  cardToken: string;
  /** The card's keyed fingerprint (vault `fingerprintId`), to flag the card number on a confirmed fraud. */
  cardFingerprint?: string;
  cardBrand: string;
  cardLast4: string;
  /** Account monitoring's decision at the shopper's authorization (monitoring/risk.ts). */
  riskDecision?: { id: string; decision: 'approve' | 'review'; score: number };
  /** A merchant-initiated order: the recurring agreement (customer token) it was charged under. */
  customerToken?: string;
  /** A subscription's period order: the subscription (functions/subscriptions). */
  subscriptionId?: string;
  capturedAmount: number;
  refundedAmount: number;
  /** Sum of the installments still to collect (due, charging, failed). */
  outstandingAmount: number;
  /** Sum collected by paid installments (before refunds returned any). */
  collectedAmount: number;
  captureCount: number;
  authorizationExpiresAt: string;
  authorizationMaxExpiresAt: string;
  /** Set when a partly captured order's authorization lapsed: nothing more can be captured. */
  authorizationReleased?: boolean;
  /** Late fees charged on the order so far (orders/late-fees.ts); part of `outstandingAmount` until paid. */
  lateFeesAmount?: number;
  /**
   * Set while the shopper disputes the order (by the disputes capability): no late fee is charged on a
   * disputed order (ARCHITECTURE.md, Disputes: zero liability while investigated).
   */
  disputed?: boolean;
  /** The order's dispute (one per order, kept after it is resolved: filing again returns it). */
  disputeId?: string;
  /** When the dispute was filed: collection paused from this day (orders/disputes.ts). */
  disputedAt?: string;
  /** The expiry instant `order.authorization_expiring` was sent for (once per expiry). */
  expiringNotifiedFor?: string;
  /** The shopper's one due-date extension (./due-date-extension.ts), once used. */
  dueDateExtension?: DueDateExtension;
  schedulePreview: { installments: ScheduledInstallment[]; disclosure: Disclosure };
  version: number;
  createdAt: string;
  updatedAt: string;
}

/** An installment's due date moved once by the shopper (14 days, once per order). */
export interface DueDateExtension {
  /** The first installment moved (of `installmentIds`). */
  installmentId: string;
  /** Every installment of the next payment: all unpaid ones due that day (one per capture). */
  installmentIds?: string[];
  previousDueDate: string;
  dueDate: string;
  extendedAt: string;
}

/**
 * A payment outcome: the processor's result of a card charge, or `{ status: 'succeeded' }` with no
 * charge id for an installment the balance paid in full (./balance-payment.ts).
 */
export type PaymentResult = ChargeResult | { status: 'succeeded'; chargeId?: undefined };

/** How a paid installment was paid (webhooks, views, collection counts). */
export type PaymentSource = 'card' | 'balance' | 'balance_and_card';

export function paymentSource(installment: Pick<InstallmentRecord, 'amount' | 'balancePaid'>): PaymentSource {
  const part = installment.balancePaid ?? 0;
  if (part === 0) return 'card';
  return part >= installment.amount ? 'balance' : 'balance_and_card';
}

/**
 * Of collected money a refund returns on a paid installment (its `refunded` going from the stored
 * value to `refundedAfter`), the part that goes back to the customer's balance: returns fill what
 * the balance paid first, then the card's part (docs/adr/0027).
 */
export function balanceShareOfReturn(
  installment: Pick<InstallmentRecord, 'balancePaid' | 'refunded'>,
  refundedAfter: number,
): number {
  const fromBalance = installment.balancePaid ?? 0;
  return Math.min(refundedAfter, fromBalance) - Math.min(installment.refunded, fromBalance);
}

export type InstallmentStatus = 'due' | 'charging' | 'paid' | 'failed' | 'cancelled';

export interface InstallmentRecord {
  id: string;
  orderId: string;
  merchantId: string;
  customerId: string;
  captureId: string;
  seq: number;
  dueDate: string;
  /** Current amount: the original less refund reductions. */
  amount: number;
  originalAmount: number;
  principal: number;
  interest: number;
  currency: CurrencyCode;
  cardToken: string;
  status: InstallmentStatus;
  /** Charge attempts made so far; the processor key of attempt n is `<id>#<n>`. */
  attempts: number;
  /** Collected money returned by refunds (paid installments only). */
  refunded: number;
  chargeId?: string;
  /**
   * What the customer's balance paid of this installment, minor units (0 < balancePaid <= amount):
   * set with the ledger debit when the balance pays it in full (`paid`, no `chargeId`) or pays part
   * of a card attempt (`charging`, the card charged the rest); removed with the ledger reversal when
   * that attempt's card part is declined (docs/adr/0027-installments-paid-from-the-balance.md).
   */
  balancePaid?: number;
  paidAt?: string;
  chargingSince?: string;
  failureCode?: string;
  hardDecline?: boolean;
  /** The late fee charged on this installment (at most one), already included in `amount`. */
  lateFee?: number;
  /** When set, the day the installment is indexed for: its late fee only, never a charge. */
  lateFeeOn?: string;
  /** Held out of the `due` index while its order is disputed: the index day it had (orders/disputes.ts). */
  disputeHeldDay?: string;
  /** The dispute whose rejection shifted this installment's dates (so a retried shift moves it once). */
  disputeShift?: string;
  /** The installment of a subscription's period order: its charge outcomes go back to the subscription. */
  subscriptionId?: string;
  version: number;
  createdAt: string;
  updatedAt: string;
  duePk?: string;
  dueSk?: string;
}

export interface CaptureRecord {
  id: string;
  orderId: string;
  amount: number;
  currency: CurrencyCode;
  refundedAmount: number;
  disclosure: Disclosure;
  installmentIds: string[];
  /** What the capture shipped (Klarna order_lines); they sum exactly to `amount`. */
  lines?: OrderLine[];
  /** The merchant's own reference for the capture (for its settlement files). */
  reference?: string;
  /** Shipments of the capture, in the order they were added (./shipping-info.ts). */
  shippingInfo?: ShippingInfo[];
  createdAt: string;
}

/** A shipment of a capture: carrier and tracking (Klarna OM shipping_info). */
export interface ShippingInfo {
  carrier: string;
  trackingNumber: string;
  /** https only. */
  trackingUrl?: string;
  method?: string;
  addedAt: string;
}

export interface RefundLineRecord {
  captureId: string;
  installmentId: string;
  reducedBy: number;
  refundedBy: number;
}

export interface RefundRecord {
  id: string;
  orderId: string;
  amount: number;
  currency: CurrencyCode;
  reducedAmount: number;
  returnedAmount: number;
  lines: RefundLineRecord[];
  /** Money going back to the card, per paid installment, and what the processor said. */
  cardRefunds: Array<{
    installmentId: string;
    chargeId: string;
    amount: number;
    /** `retrying`: failed, tried again by collection (orders/refund-retry.ts); `failed`: for good. */
    status: 'pending' | 'succeeded' | 'retrying' | 'failed';
  }>;
  /** The order lines returned (Klarna order_lines); they sum exactly to `amount`. */
  orderLines?: OrderLine[];
  /** The merchant's own reference for the refund. */
  reference?: string;
  /** Attempts made at the card returns (1 after the refund itself); the processor key of attempt n > 1 is `<refundId>#<installmentId>#<n>`. */
  cardRefundAttempts?: number;
  /** The day the refund is indexed for its next card-return attempt (in the `due` index). */
  cardRefundRetryOn?: string;
  /** Set while an attempt is in flight: a visit after a crash resends the same attempt's keys. */
  cardRefundInFlight?: boolean;
  /**
   * Collected money this refund gave back to the customer's balance, for installments the balance
   * paid (credited in the refund's own transaction); part of `returnedAmount`.
   */
  balanceReturnedAmount?: number;
  /** Set on the refund that credits a shopper whose dispute was resolved `fraud_confirmed`. */
  disputeId?: string;
  createdAt: string;
}

/** The whole order: the order and every capture, installment and refund under it. */
export interface OrderPartition {
  order: OrderRecord;
  captures: CaptureRecord[];
  installments: InstallmentRecord[];
  refunds: RefundRecord[];
}
