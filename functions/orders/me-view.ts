/** What a shopper sees of an order: the schedule, what was paid and what is next. */

import type {
  MyOrderResponse,
  MyOrderSummaryResponse,
  NextPaymentResponse,
  PayoffResponse,
} from './me-schema.ts';
import type { InstallmentRecord, OrderPartition, OrderRecord } from './model.ts';
import { planCardAndAmounts, toInstallment } from './view.ts';

/** Still owed: not paid, not cancelled (a `charging` one is owed until its outcome is recorded). */
export const isUnpaid = (installment: InstallmentRecord): boolean =>
  installment.status === 'due' || installment.status === 'failed' || installment.status === 'charging';

/**
 * The day collection will charge the installment (`DUE#<day>#<shard>`), if it is indexed for a
 * charge; one indexed for its late fee only (`lateFeeOn`) will not be charged again.
 */
export const chargeDay = (installment: InstallmentRecord): string | undefined =>
  installment.lateFeeOn ? undefined : installment.duePk?.split('#')[1];

/** The unpaid installments in the order collection takes them: by the day they are charged, then seq. */
export function unpaidInOrder(installments: InstallmentRecord[]): InstallmentRecord[] {
  const day = (i: InstallmentRecord) => chargeDay(i) ?? i.dueDate;
  return installments
    .filter(isUnpaid)
    .sort((a, b) => day(a).localeCompare(day(b)) || a.dueDate.localeCompare(b.dueDate) || a.seq - b.seq);
}

function nextPayment(installments: InstallmentRecord[] | undefined): NextPaymentResponse | null {
  const next = installments ? unpaidInOrder(installments)[0] : undefined;
  if (!next) return null;
  const day = chargeDay(next);
  return {
    installmentId: next.id,
    amount: next.amount,
    currency: next.currency,
    dueDate: next.dueDate,
    ...(day ? { chargeOn: day } : {}),
  };
}

/** The summary of a list page; with `installments` (the order read whole) it names the next payment. */
export function toMySummary(order: OrderRecord, installments?: InstallmentRecord[]): MyOrderSummaryResponse {
  return {
    id: order.id,
    object: 'order',
    status: order.status,
    merchantReference: order.merchantReference,
    amount: order.amount,
    currency: order.currency,
    ...planCardAndAmounts(order),
    paidAmount: order.collectedAmount,
    outstandingAmount: order.outstandingAmount,
    disputed: order.disputed === true,
    ...(installments ? { nextPayment: nextPayment(installments) } : {}),
    dueDateExtension: order.dueDateExtension
      ? {
          ...order.dueDateExtension,
          installmentIds: order.dueDateExtension.installmentIds ?? [order.dueDateExtension.installmentId],
        }
      : null,
    createdAt: order.createdAt,
    updatedAt: order.updatedAt,
  };
}

export function toMyOrder({ order, installments }: OrderPartition): MyOrderResponse {
  return { ...toMySummary(order, installments), installments: installments.map(toInstallment) };
}

/** What a payoff (card) or a balance payment answers, once its installments were paid or handed on. */
export function toPayoff(
  partition: OrderPartition,
  lines: PayoffResponse['installments'],
  amount: number,
  source: PayoffResponse['source'],
): PayoffResponse {
  return {
    object: 'payoff',
    orderId: partition.order.id,
    status: lines.some((l) => l.status === 'pending') ? 'processing' : 'succeeded',
    amount,
    source,
    currency: partition.order.currency,
    installments: lines,
    order: toMyOrder(partition),
  };
}
