/**
 * `GET /v1/events` and `GET /v1/events/{id}`: the merchant's events of the last 30 days, each
 * exactly as it was (or will be) sent: the stored payload, byte for byte, is what the response
 * body holds (the signature is over that body; re-verify nothing, just replay it).
 */
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Clock } from '../lib/clock.ts';
import { ddb, fromItem, tableName } from '../lib/dynamodb.ts';
import { DomainError } from '../lib/errors.ts';
import { GSI2 } from '../lib/tables.ts';
import type { WebhookEventPayload } from './events.ts';
import type { ListEventsQuery } from './schema.ts';
import { EVENT_RETENTION_MS, type EventRecord, eventKey, getEvent, merchantEventsPk } from './store.ts';

/** Query pages read at most per list request when a `type` filter skips events. */
const MAX_PAGES = 10;

const live = (record: EventRecord, now: Date) =>
  Date.parse(record.created) > now.getTime() - EVENT_RETENTION_MS;

/** The sent body, parsed: JSON.stringify of it is the payload again (key order is kept). */
const payloadOf = (record: EventRecord) => JSON.parse(record.payload) as WebhookEventPayload;

/** The merchant's event; not_found for another merchant's, a missing or an expired one. */
export async function getMerchantEvent(
  merchantId: string,
  id: string,
  clock: Clock,
): Promise<WebhookEventPayload> {
  const record = await getEvent(id);
  if (!record || record.merchantId !== merchantId || !live(record, clock.now())) {
    throw new DomainError('not_found', 'resource_missing', `No such event: ${id}.`, 'id');
  }
  return payloadOf(record);
}

/** The merchant's events, newest first, optionally of one type; `startingAfter` is the last id seen. */
export async function listMerchantEvents(merchantId: string, query: ListEventsQuery, clock: Clock) {
  const now = clock.now();
  const partition = merchantEventsPk(merchantId);
  const data: WebhookEventPayload[] = [];
  let start: Record<string, unknown> | undefined = query.startingAfter
    ? { ...eventKey(query.startingAfter), gsi2pk: partition, gsi2sk: query.startingAfter }
    : undefined;
  let more = false;
  for (let page = 0; page < MAX_PAGES; page += 1) {
    const {
      Items,
      LastEvaluatedKey,
    }: { Items?: Record<string, unknown>[]; LastEvaluatedKey?: Record<string, unknown> } = await ddb().send(
      new QueryCommand({
        TableName: tableName(),
        IndexName: GSI2,
        KeyConditionExpression: 'gsi2pk = :pk',
        ExpressionAttributeValues: { ':pk': partition, ...(query.type ? { ':type': query.type } : {}) },
        ...(query.type ? { FilterExpression: 'eventType = :type' } : {}),
        ScanIndexForward: false,
        Limit: query.limit + 1 - data.length,
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    for (const item of Items ?? []) {
      const record = fromItem<EventRecord>(item, { drop: ['ttl'] });
      if (live(record, now)) data.push(payloadOf(record));
    }
    start = LastEvaluatedKey;
    if (data.length > query.limit) {
      more = true;
      break;
    }
    if (!start) break;
    more = true;
  }
  const page = data.slice(0, query.limit);
  const hasMore = more && (data.length > query.limit || start !== undefined);
  const last = page[page.length - 1];
  return {
    object: 'list' as const,
    data: page,
    hasMore,
    ...(hasMore && last ? { nextCursor: last.id } : {}),
  };
}
