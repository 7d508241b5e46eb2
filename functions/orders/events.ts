/**
 * Order events go out through the webhooks capability, in the same transaction as the change. The
 * event's sequence is the order's version after the change, and each order version carries at most
 * one event, so a receiver that keeps the highest sequence per order never goes backwards.
 */
import type { Clock } from '../lib/clock.ts';
import type { TransactItem } from '../lib/transactions.ts';
import { type WebhookEventType, webhookEventItems } from '../webhooks/events.ts';
import type { InstallmentRecord, OrderRecord } from './model.ts';

/** A capture or refund as its order event names it. */
export interface MoneyMovement {
  id: string;
  amount: number;
  currency: string;
  createdAt: string;
}

export const movementOf = (m: MoneyMovement): MoneyMovement => ({
  id: m.id,
  amount: m.amount,
  currency: m.currency,
  createdAt: m.createdAt,
});

import { toInstallment, toSummary } from './view.ts';

/**
 * `order` is the order AFTER the change (its version is the event's sequence). `movement` is the
 * money the change moved: `order.captured` carries its `capture`, `order.refunded` its `refund`
 * (id, amount, currency, createdAt), so a receiver (and the merchant ledger, which reads these events
 * from the table's stream) knows exactly which capture or refund the event is about.
 */
export function orderEventItems(
  type: WebhookEventType,
  order: OrderRecord,
  clock: Clock,
  installment?: InstallmentRecord,
  movement?: { capture: MoneyMovement } | { refund: MoneyMovement },
): TransactItem[] {
  return webhookEventItems(
    {
      merchantId: order.merchantId,
      type,
      objectId: order.id,
      sequence: order.version,
      data: {
        ...toSummary(order),
        ...(installment ? { installment: toInstallment(installment) } : {}),
        ...(movement ?? {}),
      },
    },
    clock,
  );
}
