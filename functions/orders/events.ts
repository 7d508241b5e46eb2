/**
 * Order events go out through the webhooks capability, in the same transaction as the change. The
 * event's sequence is the order's version after the change, and each order version carries at most
 * one event, so a receiver that keeps the highest sequence per order never goes backwards.
 */
import type { Clock } from '../lib/clock.ts';
import type { TransactItem } from '../lib/transactions.ts';
import { type WebhookEventType, webhookEventItems } from '../webhooks/events.ts';
import type { InstallmentRecord, OrderRecord } from './model.ts';
import { toInstallment, toSummary } from './view.ts';

/** `order` is the order AFTER the change (its version is the event's sequence). */
export function orderEventItems(
  type: WebhookEventType,
  order: OrderRecord,
  clock: Clock,
  installment?: InstallmentRecord,
): TransactItem[] {
  return webhookEventItems(
    {
      merchantId: order.merchantId,
      type,
      objectId: order.id,
      sequence: order.version,
      data: { ...toSummary(order), ...(installment ? { installment: toInstallment(installment) } : {}) },
    },
    clock,
  );
}
