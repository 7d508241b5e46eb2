/**
 * `POST /v1/me/orders/{id}/extend-due-date`: once per order, the shopper moves the next payment's
 * due date 14 days later: every unpaid installment due that day (two captures made on one day each
 * have an installment on it, and the shopper sees one payment). Their `due` index entries
 * (`DUE#<day>#<shard>`) move with them, so collection reads them on the new day and not before. All
 * writes are conditional: each installment on its version and status, the order on its version and
 * on having no extension yet.
 */
import { type Clock, DAY_MS, isoDay } from '../lib/clock.ts';
import { type CodeOfKind, DomainError } from '../lib/errors.ts';
import type { Commit } from '../lib/use-case.ts';
import { refuseWhileDisputed } from './dispute-hold.ts';
import { type CustomerPrincipal, requireMyPartition } from './me-orders.ts';
import type { MyOrderResponse } from './me-schema.ts';
import { toMyOrder, unpaidInOrder } from './me-view.ts';
import type { DueDateExtension, OrderRecord } from './model.ts';
import { committing } from './shared.ts';
import * as store from './store.ts';

/** How far the one extension moves the due date. */
export const DUE_DATE_EXTENSION_DAYS = 14;

const refused = (code: CodeOfKind<'rejected'>, message: string) => new DomainError('rejected', code, message);

/**
 * Moves the next payment (every unpaid installment due on the earliest unpaid due date) of the
 * customer's `captured` order by DUE_DATE_EXTENSION_DAYS.
 * Refusals: not_found; rejected `due_date_already_extended`, `due_date_not_extendable` (the order is
 * not `captured`, or its next installment is already being collected: in dunning or in flight);
 * conflict `concurrent_update`.
 */
export async function extendDueDate(
  principal: CustomerPrincipal,
  id: string,
  commit: Commit<MyOrderResponse>,
  clock: Clock,
): Promise<MyOrderResponse> {
  const partition = await requireMyPartition(principal, id);
  const { order } = partition;
  refuseWhileDisputed(order);
  if (order.dueDateExtension) {
    throw refused('due_date_already_extended', 'This order already used its one due-date extension.');
  }
  if (order.status !== 'captured') {
    throw refused(
      'due_date_not_extendable',
      order.status === 'in_arrears'
        ? 'The order is in arrears; pay it off or set another card instead.'
        : `The order is ${order.status}; it has no installment to move.`,
    );
  }
  const unpaid = unpaidInOrder(partition.installments);
  const next = unpaid[0];
  const payment = unpaid.filter((i) => i.dueDate === next?.dueDate);
  if (!next || payment.some((i) => i.status !== 'due' || i.attempts > 0)) {
    throw refused(
      'due_date_not_extendable',
      next
        ? 'The next installment is already being collected; it cannot be moved.'
        : 'Nothing is left to pay on this order.',
    );
  }
  const now = clock.now();
  const at = now.toISOString();
  const dueDate = isoDay(
    new Date(Date.parse(`${next.dueDate}T00:00:00Z`) + DUE_DATE_EXTENSION_DAYS * DAY_MS),
  );
  const extension: DueDateExtension = {
    installmentId: next.id,
    installmentIds: payment.map((i) => i.id),
    previousDueDate: next.dueDate,
    dueDate,
    extendedAt: at,
  };
  const after: OrderRecord = {
    ...order,
    dueDateExtension: extension,
    version: order.version + 1,
    updatedAt: at,
  };
  const moved = new Set(extension.installmentIds);
  const installments = partition.installments.map((i) =>
    moved.has(i.id)
      ? { ...i, dueDate, ...store.dueIndex(i.id, dueDate), version: i.version + 1, updatedAt: at }
      : i,
  );
  return committing(
    commit,
    [
      ...payment.map((i) =>
        store.installmentUpdateItem(i, { dueDate, ...store.dueIndex(i.id, dueDate) }, at),
      ),
      store.orderTransitionItem(order, order.status, { dueDateExtension: extension }, at, {
        condition: 'attribute_not_exists(dueDateExtension)',
        values: {},
      }),
    ],
    toMyOrder({ ...partition, order: after, installments }),
  );
}
