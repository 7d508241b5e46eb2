/**
 * Merchant-initiated orders: a charge under a recurring agreement (a customer token), made without
 * the shopper present, by the agreements capability (`POST /v1/customer-tokens/{token}/orders`) and
 * by subscriptions (each period). Reached through the orders face (./collection-face.ts).
 *
 * The order is the `subscription` plan's: one payment of the whole amount at capture. It is
 * authorized and captured in full in one transaction (as `autoCapture`, ./auto-capture.ts), so its
 * one installment is `charging` at attempt 1 and in the `due` index under today; the caller writes
 * the items in ITS transaction (with its own conditions: the agreement still active, the
 * subscription's period unclaimed) and then hands the installment to the charger
 * (`requestCharges`), or charges it itself where it is the charger (a renewal). From there it is
 * any order: the same exactly-once charge, dunning, late fees, disputes and refunds.
 */
import type { Clock } from '../lib/clock.ts';
import type { CurrencyCode } from '../lib/money.ts';
import type { TransactItem } from '../lib/transactions.ts';
import { autoCaptured } from './auto-capture.ts';
import { orderReferenceItem } from './list-store.ts';
import type { InstallmentRecord, OrderRecord } from './model.ts';
import { AUTHORIZATION_MAX_LIFE_MS, AUTHORIZATION_TTL_MS } from './policy.ts';
import type { OrderResponse } from './schema.ts';
import * as store from './store.ts';
import { toOrder } from './view.ts';

/** What a merchant-initiated charge is: the agreement's parties and card, and this charge's amount. */
export interface RecurringCharge {
  /** The order's id (minted by the caller, so a retried renewal names the same order). */
  orderId: string;
  merchantId: string;
  livemode: boolean;
  customerId: string;
  customerToken: string;
  subscriptionId?: string;
  /** The checkout session the agreement was approved on. */
  checkoutSessionId: string;
  merchantReference: string;
  amount: number;
  currency: CurrencyCode;
  cardToken: string;
  /** The card's keyed fingerprint (vault `fingerprintId`), to flag the card number on a confirmed fraud. */
  cardFingerprint?: string;
  cardBrand: string;
  cardLast4: string;
  riskDecision?: { id: string; decision: 'approve' | 'review'; score: number };
}

/**
 * The order of a merchant-initiated charge, captured in full at `now`: the items that write it (the
 * caller's transaction), the order as the API shows it, and the installment claimed for the charger.
 * Throws 422 `plan_not_offered` when the subscription plan is switched off in the catalogue.
 */
export function recurringOrder(
  charge: RecurringCharge,
  clock: Clock,
): { items: TransactItem[]; order: OrderResponse; claimed: InstallmentRecord[] } {
  const now = clock.now();
  const at = now.toISOString();
  const authorized: OrderRecord = {
    id: charge.orderId,
    merchantId: charge.merchantId,
    livemode: charge.livemode,
    customerId: charge.customerId,
    checkoutSessionId: charge.checkoutSessionId,
    merchantReference: charge.merchantReference,
    status: 'authorized',
    amount: charge.amount,
    currency: charge.currency,
    plan: 'subscription',
    cardToken: charge.cardToken,
    ...(charge.cardFingerprint ? { cardFingerprint: charge.cardFingerprint } : {}),
    cardBrand: charge.cardBrand,
    cardLast4: charge.cardLast4,
    ...(charge.riskDecision ? { riskDecision: charge.riskDecision } : {}),
    customerToken: charge.customerToken,
    ...(charge.subscriptionId === undefined ? {} : { subscriptionId: charge.subscriptionId }),
    capturedAmount: 0,
    refundedAmount: 0,
    outstandingAmount: 0,
    collectedAmount: 0,
    captureCount: 0,
    authorizationExpiresAt: new Date(now.getTime() + AUTHORIZATION_TTL_MS).toISOString(),
    authorizationMaxExpiresAt: new Date(now.getTime() + AUTHORIZATION_MAX_LIFE_MS).toISOString(),
    schedulePreview: {
      installments: [
        { seq: 1, dueDate: at.slice(0, 10), amount: charge.amount, principal: charge.amount, interest: 0 },
      ],
      disclosure: {
        amountFinanced: charge.amount,
        financeCharge: 0,
        totalOfPayments: charge.amount,
        apr: 0,
        payment: charge.amount,
      },
    },
    version: 1,
    createdAt: at,
    updatedAt: at,
  };
  const captured = autoCaptured(authorized, now, clock);
  return {
    items: [
      ...captured.items,
      store.customerOrderItem(captured.partition.order),
      orderReferenceItem(authorized),
    ],
    order: toOrder(captured.partition),
    claimed: captured.partition.installments.filter((i) => i.status === 'charging'),
  };
}
