/**
 * A customer's repayment history, for credit assessment (functions/credit): what collection made of
 * each installment of each of their orders. Read-only; one query for the order ids and one
 * partition read per order (a shopper has few).
 */
import { customerOrderIds } from './me-store.ts';
import * as store from './store.ts';

export interface RepaymentHistory {
  /** Installments collected at their first attempt. */
  paidOnTime: number;
  /** Installments collected after a decline, or that were charged a late fee. */
  paidLate: number;
  /** Installments declined and not yet collected (in dunning). */
  failed: number;
  /** Orders now `in_arrears`. */
  ordersInArrears: number;
}

export async function repaymentHistory(customerId: string): Promise<RepaymentHistory> {
  const history: RepaymentHistory = { paidOnTime: 0, paidLate: 0, failed: 0, ordersInArrears: 0 };
  for (const id of await customerOrderIds(customerId)) {
    const partition = await store.getOrderPartition(id);
    if (!partition) continue;
    if (partition.order.status === 'in_arrears') history.ordersInArrears++;
    for (const installment of partition.installments) {
      if (installment.status === 'paid') {
        const late = installment.attempts > 1 || (installment.lateFee ?? 0) > 0;
        if (late) history.paidLate++;
        else history.paidOnTime++;
      } else if (installment.status === 'failed') history.failed++;
    }
  }
  return history;
}
