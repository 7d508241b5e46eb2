/**
 * What a dispute looks like outside (merchants, operators, webhooks), and the records that go with
 * every change of it: the `dispute.*` webhook (its sequence is the dispute's version) and the audit
 * event (functions/lib/audit.ts), both in the change's own transaction.
 */
import { type AuditEvent, auditItem } from '../lib/audit.ts';
import type { Clock } from '../lib/clock.ts';
import type { CurrencyCode } from '../lib/money.ts';
import type { TransactItem } from '../lib/transactions.ts';
import { type WebhookEventType, webhookEventItems } from '../webhooks/events.ts';
import type { DisputeResponse } from './schema.ts';
import type { DisputeRecord } from './store.ts';

export function toDispute(dispute: DisputeRecord): DisputeResponse {
  const { resolution } = dispute;
  return {
    id: dispute.id,
    object: 'dispute',
    orderId: dispute.orderId,
    merchantReference: dispute.merchantReference,
    reason: dispute.reason,
    status: dispute.status,
    amount: dispute.amount,
    currency: dispute.currency as CurrencyCode,
    evidence: dispute.evidence,
    ...(resolution
      ? {
          resolution: {
            outcome: resolution.outcome,
            note: resolution.note,
            resolvedAt: resolution.resolvedAt,
            pausedDays: resolution.pausedDays,
            creditedAmount: resolution.creditedAmount,
            cancelledAmount: resolution.cancelledAmount,
          },
        }
      : {}),
    version: dispute.version,
    createdAt: dispute.createdAt,
    updatedAt: dispute.updatedAt,
  };
}

/** The `dispute.*` event and the audit event of a change (`dispute` is the dispute AFTER it). */
export function changeRecords(
  type: WebhookEventType,
  dispute: DisputeRecord,
  audit: Omit<AuditEvent, 'subject'>,
  clock: Clock,
): TransactItem[] {
  return [
    ...webhookEventItems(
      {
        merchantId: dispute.merchantId,
        type,
        objectId: dispute.id,
        sequence: dispute.version,
        data: toDispute(dispute),
      },
      clock,
    ),
    auditItem(
      { ...audit, subject: dispute.id, metadata: { orderId: dispute.orderId, ...(audit.metadata ?? {}) } },
      clock,
    ),
  ];
}
