import type { Clock } from './clock.ts';
import { tableName } from './dynamodb.ts';
import { newId } from './ids.ts';
import { redactValue } from './logger.ts';
import { auditCounter, countMetric } from './metrics.ts';
import type { TransactItem } from './transactions.ts';

/**
 * Audit events: who did what to which subject, when, and why. Append-only items under
 * `AUDIT#<subject>` sorted by time, written in the same transaction as the change they describe
 * (so an audited change can't happen unaudited). Metadata passes the logger's redaction, so a
 * secret that slipped in is masked; callers still must not put secrets there. Security actions
 * also feed a CloudWatch counter (lib/metrics.ts) when their item is built, i.e. when the change is
 * attempted: a transaction refused after that still counts, which errs towards alarming.
 */
export interface AuditEvent {
  /** e.g. `customer.signed_in`, `twofa.locked`, `vault.detokenized`. */
  action: string;
  /** The id the event is about (customer, merchant, token, order). */
  subject: string;
  /** Who caused it: a customer id, merchant id, operator ARN or `system:<job>`. */
  actor: string;
  reason?: string;
  metadata?: Record<string, string | number | boolean>;
}

export function auditItem(event: AuditEvent, clock: Clock, table = tableName()): TransactItem {
  const at = clock.now();
  const id = newId('event', at);
  const counter = auditCounter(event.action);
  if (counter) countMetric(counter);
  const metadata = Object.fromEntries(
    Object.entries(event.metadata ?? {}).map(([k, v]) => [k, redactValue(k, v) as string | number | boolean]),
  );
  return {
    Put: {
      TableName: table,
      Item: {
        pk: `AUDIT#${event.subject}`,
        sk: `${at.toISOString()}#${id}`,
        type: 'audit',
        id,
        at: at.toISOString(),
        action: event.action,
        subject: event.subject,
        actor: event.actor,
        ...(event.reason ? { reason: event.reason } : {}),
        metadata,
      },
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  };
}
