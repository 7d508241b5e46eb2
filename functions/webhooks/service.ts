import * as z from 'zod';
import { auditItem } from '../lib/audit.ts';
import type { Clock } from '../lib/clock.ts';
import { badRequest, conflict, notFound } from '../lib/errors.ts';
import { isId } from '../lib/ids.ts';
import { defineSchema } from '../lib/schema.ts';
import type { WebhookEventType } from './events.ts';
import type { DeliveryRecord } from './store.ts';
import * as store from './store.ts';

export function toDeliveryResponse(record: DeliveryRecord) {
  return {
    id: record.id,
    object: 'webhook_delivery' as const,
    merchantId: record.merchantId,
    eventType: record.eventType as WebhookEventType,
    objectId: record.objectId,
    sequence: record.sequence,
    status: record.status,
    attempts: record.attempts,
    ...(record.nextAttemptAt ? { nextAttemptAt: record.nextAttemptAt } : {}),
    ...(record.lastAttemptAt ? { lastAttemptAt: record.lastAttemptAt } : {}),
    ...(record.lastStatusCode !== undefined ? { lastStatusCode: record.lastStatusCode } : {}),
    ...(record.lastError ? { lastError: record.lastError } : {}),
    ...(record.deliveredAt ? { deliveredAt: record.deliveredAt } : {}),
    ...(record.deadAt ? { deadAt: record.deadAt } : {}),
    ...(record.skippedReason ? { skippedReason: record.skippedReason } : {}),
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
  };
}

const Cursor = /* @__PURE__ */ defineSchema(() => z.object({ s: z.string().min(1).max(200), i: z.string() }));

function encodeCursor(last: { sortKey: string; id: string }): string {
  return Buffer.from(JSON.stringify({ s: last.sortKey, i: last.id })).toString('base64url');
}

/** The cursor only positions within the partition chosen by `status`: it cannot widen the query. */
function decodeCursor(cursor: string): { sortKey: string; id: string } {
  try {
    const parsed = Cursor.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
    if (!isId('event', parsed.i)) throw new Error('bad id');
    return { sortKey: parsed.s, id: parsed.i };
  } catch {
    throw badRequest(
      'invalid_cursor',
      'startingAfter is not a cursor returned by this list.',
      'startingAfter',
    );
  }
}

/** Operators: the DLQ (`dead`) or a merchant's skipped deliveries, newest first. */
export async function listDeliveries(query: {
  status: 'dead' | 'skipped';
  merchantId?: string | undefined;
  limit: number;
  startingAfter?: string | undefined;
}) {
  let partition: string;
  if (query.status === 'dead') {
    partition = store.DEAD_PK;
  } else {
    if (!query.merchantId) {
      throw badRequest('parameter_missing', 'merchantId is required with status=skipped.', 'merchantId');
    }
    partition = store.skippedPk(query.merchantId);
  }
  const after = query.startingAfter ? decodeCursor(query.startingAfter) : undefined;
  const page = await store.listByIndex<DeliveryRecord>(partition, query.limit, after);
  return {
    object: 'list' as const,
    data: page.items.map(toDeliveryResponse),
    hasMore: page.last !== undefined,
    ...(page.last ? { nextCursor: encodeCursor(page.last) } : {}),
  };
}

/** Operators: a dead or skipped delivery goes back to the queue, audited in the same transaction. */
export async function prepareRequeue(id: string, operatorArn: string, clock: Clock) {
  const delivery = await store.getDelivery(id);
  if (!delivery) throw notFound(`No such webhook delivery: ${id}.`, 'id');
  if (delivery.status !== 'dead' && delivery.status !== 'skipped') {
    throw conflict(
      'delivery_not_retryable',
      `Only dead or skipped deliveries can be retried; this one is ${delivery.status}.`,
    );
  }
  const now = clock.now();
  const at = now.toISOString();
  const items = [
    store.requeueItem(delivery, now),
    auditItem(
      {
        action: 'webhook.delivery_requeued',
        subject: id,
        actor: operatorArn,
        metadata: { merchantId: delivery.merchantId, previousStatus: delivery.status },
      },
      clock,
    ),
  ];
  const { deadAt: _deadAt, skippedAt: _skippedAt, skippedReason: _skippedReason, ...rest } = delivery;
  return {
    items,
    response: toDeliveryResponse({
      ...rest,
      status: 'pending',
      attempts: 0,
      nextAttemptAt: at,
      updatedAt: at,
    }),
  };
}
