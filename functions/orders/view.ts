/** Public representations of orders and their parts: what merchants see, in responses and events. */

import { orderDataOf } from '../lib/order-lines.ts';
import {
  type CaptureRecord,
  type InstallmentRecord,
  type OrderPartition,
  type OrderRecord,
  paymentSource,
  type RefundRecord,
} from './model.ts';
import type {
  CaptureResponse,
  InstallmentResponse,
  OrderResponse,
  OrderSummaryResponse,
  RefundResponse,
} from './schema.ts';
import { remainingAuthorized } from './state.ts';
import { orderTotals } from './totals.ts';

/** What the merchant's and the shopper's views of an order share: plan, card (brand, last 4), amounts. */
export function planCardAndAmounts(order: OrderRecord) {
  return {
    plan: {
      id: order.plan,
      ...(order.termMonths === undefined ? {} : { termMonths: order.termMonths }),
      ...(order.aprBps === undefined ? {} : { aprBps: order.aprBps }),
    },
    card: { brand: order.cardBrand, last4: order.cardLast4 },
    capturedAmount: order.capturedAmount,
    refundedAmount: order.refundedAmount,
  };
}

export function toSummary(order: OrderRecord): OrderSummaryResponse {
  return {
    id: order.id,
    object: 'order',
    status: order.status,
    livemode: order.livemode,
    amount: order.amount,
    currency: order.currency,
    merchantReference: order.merchantReference,
    checkoutSessionId: order.checkoutSessionId,
    ...planCardAndAmounts(order),
    outstandingAmount: order.outstandingAmount,
    lateFeesAmount: order.lateFeesAmount ?? 0,
    riskDecision: order.riskDecision ?? null,
    ...(order.customerToken === undefined ? {} : { customerToken: order.customerToken }),
    ...(order.subscriptionId === undefined ? {} : { subscriptionId: order.subscriptionId }),
    remainingAuthorizedAmount: remainingAuthorized(order),
    disputed: order.disputed ?? false,
    authorizationExpiresAt: order.authorizationExpiresAt,
    authorizationMaxExpiresAt: order.authorizationMaxExpiresAt,
    version: order.version,
    createdAt: order.createdAt,
    updatedAt: order.updatedAt,
  };
}

export function toInstallment(installment: InstallmentRecord): InstallmentResponse {
  return {
    id: installment.id,
    captureId: installment.captureId,
    seq: installment.seq,
    dueDate: installment.dueDate,
    amount: installment.amount,
    originalAmount: installment.originalAmount,
    principal: installment.principal,
    interest: installment.interest,
    status: installment.status,
    attempts: installment.attempts,
    refundedAmount: installment.refunded,
    ...(installment.paidAt ? { paidAt: installment.paidAt } : {}),
    ...(installment.status === 'paid' ? { source: paymentSource(installment) } : {}),
    ...(installment.balancePaid ? { paidFromBalance: installment.balancePaid } : {}),
    ...(installment.failureCode ? { failureCode: installment.failureCode } : {}),
    ...(installment.lateFee ? { lateFee: installment.lateFee } : {}),
  };
}

export function toCapture(capture: CaptureRecord, installments: InstallmentRecord[]): CaptureResponse {
  return {
    id: capture.id,
    object: 'capture',
    orderId: capture.orderId,
    amount: capture.amount,
    currency: capture.currency,
    refundedAmount: capture.refundedAmount,
    ...(capture.lines ? { lines: capture.lines } : {}),
    ...(capture.reference ? { reference: capture.reference } : {}),
    ...(capture.shippingInfo ? { shippingInfo: capture.shippingInfo } : {}),
    createdAt: capture.createdAt,
    installments: installments.map(({ id, seq, dueDate, originalAmount, principal, interest }) => ({
      id,
      seq,
      dueDate,
      amount: originalAmount,
      principal,
      interest,
    })),
    disclosure: capture.disclosure,
  };
}

export function toRefund(refund: RefundRecord): RefundResponse {
  return {
    id: refund.id,
    object: 'refund',
    orderId: refund.orderId,
    amount: refund.amount,
    currency: refund.currency,
    reducedAmount: refund.reducedAmount,
    returnedAmount: refund.returnedAmount,
    lines: refund.lines,
    cardRefunds: refund.cardRefunds.map(({ installmentId, amount, status }) => ({
      installmentId,
      amount,
      status,
    })),
    ...(refund.orderLines ? { orderLines: refund.orderLines } : {}),
    ...(refund.reference ? { reference: refund.reference } : {}),
    createdAt: refund.createdAt,
  };
}

/** The whole order; its totals are derived from its captures and installments (./totals.ts). */
export function toOrder({ order, captures, installments, refunds }: OrderPartition): OrderResponse {
  return {
    ...toSummary({ ...order, ...orderTotals(captures, installments) }),
    schedulePreview: order.schedulePreview,
    ...orderDataOf(order),
    captures: captures.map((capture) => {
      const { installments: _i, disclosure: _d, ...rest } = toCapture(capture, []);
      return rest;
    }),
    installments: installments.map(toInstallment),
    refunds: refunds.map(toRefund),
  };
}
