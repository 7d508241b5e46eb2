import type { Clock } from '../lib/clock.ts';
import { tableName } from '../lib/dynamodb.ts';
import { newId } from '../lib/ids.ts';
import type { TransactItem } from '../lib/transactions.ts';
import {
  deliveryKey,
  EVENT_RETENTION_MS,
  eventKey,
  merchantEventsPk,
  objectEventsPk,
  pendingPk,
  sequenceSortKey,
  shardOf,
  timeSortKey,
} from './store.ts';

/**
 * The contract other capabilities emit events through. An event is recorded and its delivery
 * enqueued by transaction items that the caller commits in the SAME TransactWriteItems as the
 * change that caused it: an order change can never happen without its event, nor an event
 * without its change.
 */
export const WEBHOOK_EVENT_TYPES = [
  'order.authorized',
  'order.captured',
  'order.refunded',
  'order.cancelled',
  'order.authorization_expiring',
  'order.authorization_expired',
  'order.authorization_released',
  'order.updated',
  'order.paid_off',
  'order.in_arrears',
  'installment.paid',
  'installment.failed',
  'order.late_fee_charged',
  'refund.card_refund_succeeded',
  'refund.card_refund_failed',
  'payout.paid',
  'webhook.test',
  'dispute.created',
  'dispute.evidence_submitted',
  'dispute.resolved',
  'customer_token.revoked',
  'subscription.created',
  'subscription.renewed',
  'subscription.payment_failed',
  'subscription.past_due',
  'subscription.canceled',
] as const;

export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** What an endpoint may subscribe to: every type but the test event, which goes only where it is asked. */
export const SUBSCRIBABLE_EVENT_TYPES = WEBHOOK_EVENT_TYPES.filter(
  (type): type is Exclude<WebhookEventType, 'webhook.test'> => type !== 'webhook.test',
);

export interface WebhookEventInput {
  merchantId: string;
  type: WebhookEventType;
  /** The object the event is about (an order id; a payout id for `payout.paid`; a dispute id for `dispute.*`; a customer token for `customer_token.*`; a subscription id for `subscription.*`). */
  objectId: string;
  /**
   * The object's `version` after the change. Receivers keep the highest sequence seen per object
   * and drop anything lower, so a late retry of an old event never moves their state backwards.
   */
  sequence: number;
  /** The object's public representation after the change. */
  data: Record<string, unknown>;
  /** Only these endpoints, subscribed or not (a test event); default: every endpoint subscribed to the type. */
  endpointIds?: string[];
}

/** What the receiver gets, byte for byte the same on every attempt. */
export interface WebhookEventPayload {
  id: string;
  object: 'event';
  type: WebhookEventType;
  created: string;
  objectId: string;
  sequence: number;
  data: Record<string, unknown>;
}

/** Bodies stay well under DynamoDB's 400 KB item limit (the event item holds data and payload). */
export const MAX_PAYLOAD_BYTES = 64 * 1024;

/** Programming errors, not client errors: the caller controls every field. */
function assertEventInput(input: WebhookEventInput): void {
  if (!(WEBHOOK_EVENT_TYPES as readonly string[]).includes(input.type)) {
    throw new Error(`unknown webhook event type: ${input.type}`);
  }
  if (!Number.isSafeInteger(input.sequence) || input.sequence < 1) {
    throw new Error('webhook event sequence must be a positive integer (the object version)');
  }
  if (!input.merchantId || !input.objectId) throw new Error('webhook event needs merchantId and objectId');
}

/** Builds the event and its items; `webhookEventItems` is the same without the event. */
export function webhookEvent(
  input: WebhookEventInput,
  clock: Clock,
): { event: WebhookEventPayload; payload: string; items: TransactItem[] } {
  assertEventInput(input);
  const at = clock.now();
  const created = at.toISOString();
  const id = newId('event', at);
  // A JSON round trip: what is stored is exactly what is sent (no Dates, no undefined).
  const data = JSON.parse(JSON.stringify(input.data)) as Record<string, unknown>;
  const event: WebhookEventPayload = {
    id,
    object: 'event',
    type: input.type,
    created,
    objectId: input.objectId,
    sequence: input.sequence,
    data,
  };
  const payload = JSON.stringify(event);
  if (Buffer.byteLength(payload, 'utf8') > MAX_PAYLOAD_BYTES) {
    throw new Error(`webhook event ${input.type} exceeds ${MAX_PAYLOAD_BYTES} bytes`);
  }
  const shard = shardOf(id);
  const table = tableName();
  const items: TransactItem[] = [
    {
      Put: {
        TableName: table,
        Item: {
          ...eventKey(id),
          type: 'webhookEvent',
          id,
          merchantId: input.merchantId,
          eventType: input.type,
          objectId: input.objectId,
          sequence: input.sequence,
          created,
          data,
          payload,
          // An object's events in sequence order, without a Scan.
          gsi1pk: objectEventsPk(input.objectId),
          gsi1sk: sequenceSortKey(input.sequence, id),
          // The merchant's events, newest first (GET /v1/events), for 30 days.
          gsi2pk: merchantEventsPk(input.merchantId),
          gsi2sk: id,
          ttl: Math.floor((at.getTime() + EVENT_RETENTION_MS) / 1000),
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    },
    {
      Put: {
        TableName: table,
        Item: {
          ...deliveryKey(id),
          type: 'webhookDelivery',
          id,
          merchantId: input.merchantId,
          eventType: input.type,
          objectId: input.objectId,
          sequence: input.sequence,
          status: 'pending',
          attempts: 0,
          shard,
          ...(input.endpointIds ? { endpointIds: input.endpointIds } : {}),
          nextAttemptAt: created,
          createdAt: created,
          updatedAt: created,
          // Due now: the delivery job finds it by Query on the sparse pending index.
          gsi1pk: pendingPk(shard),
          gsi1sk: timeSortKey(created, id),
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    },
  ];
  return { event, payload, items };
}

/** THE contract: items that record the event and enqueue its delivery, for the caller's transaction. */
export function webhookEventItems(input: WebhookEventInput, clock: Clock): TransactItem[] {
  return webhookEvent(input, clock).items;
}

/**
 * The signature scheme of our webhooks (Stripe's), for other capabilities that receive or send
 * signed callbacks the same way (identity-provider decisions).
 */
export { signatureHeader, verifySignature, WebhookSignatureError } from '../lib/signature.ts';
