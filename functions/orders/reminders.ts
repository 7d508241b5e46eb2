/**
 * Reminders: an installment falling due within REMINDER_DAYS_AHEAD days of a run's `asOf` is
 * reminded of once (per due date: a due date moved later gets its own reminder). Found through the
 * `due` index of the coming days (collection/reminders.ts), never by a Scan.
 */
import { addDays, type Clock } from '../lib/clock.ts';
import { REMINDER_DAYS_AHEAD, sendReminder } from './notices.ts';
import * as store from './store.ts';

export { REMINDER_DAYS_AHEAD };

/** True for an installment in the `due` index (false for a refund indexed for its card retry). */
export function isInstallmentRef(ref: { orderId: string; installmentId: string }): boolean {
  return ref.installmentId.startsWith('ins_');
}

/**
 * Sends the reminder of the installment `ref` if it is still `due`, on an open order, and falls due
 * after `asOf` (YYYY-MM-DD) and within REMINDER_DAYS_AHEAD days of it. True when this call sent it.
 */
export async function remindInstallment(
  ref: { orderId: string; installmentId: string },
  asOf: string,
  clock: Clock,
): Promise<boolean> {
  if (!isInstallmentRef(ref)) return false;
  const partition = await store.getOrderPartition(ref.orderId);
  const installment = partition?.installments.find((i) => i.id === ref.installmentId);
  if (!partition || installment?.status !== 'due') return false;
  if (partition.order.status !== 'captured' && partition.order.status !== 'in_arrears') return false;
  if (partition.order.disputed) return false;
  const last = addDays(asOf, REMINDER_DAYS_AHEAD);
  if (installment.dueDate <= asOf || installment.dueDate > last) return false;
  return sendReminder(partition, installment, clock.now());
}
