/**
 * A merchant's webhook endpoints: several per merchant, each subscribed to event types, each with
 * its own signing secret. Register (a URL already registered rotates its secret), list, read,
 * change (event types, enable / disable, description), delete, and send a test event.
 */
import { type Clock, DAY_MS } from '../lib/clock.ts';
import { DomainError } from '../lib/errors.ts';
import { newId } from '../lib/ids.ts';
import { webhookUrlProblemAfterDns } from '../lib/outbound.ts';
import type { TransactItem } from '../lib/transactions.ts';
import {
  deleteEndpointItem,
  type EndpointRecord,
  getEndpointRecord,
  listEndpointRecords,
  putEndpointItem,
} from './endpoint-store.ts';
import { type WebhookEventPayload, webhookEvent } from './events.ts';
import type { UpdateWebhookEndpointBody, WebhookEndpointResponse } from './schema.ts';
import { encryptWebhookSecret, generateWebhookSecret } from './secret.ts';

/** After a rotation the old secret keeps signing for this long, so receivers can roll. */
export const PREVIOUS_SECRET_GRACE_MS = DAY_MS;

/** Endpoints per merchant (Stripe allows 16). */
export const MAX_ENDPOINTS_PER_MERCHANT = 16;

type Prepared<T> = { items: TransactItem[]; response: T };

export function toEndpointResponse(record: EndpointRecord, now: Date): WebhookEndpointResponse {
  const previousLive =
    record.previousSecretExpiresAt !== undefined && record.previousSecretExpiresAt > now.toISOString();
  return {
    id: record.id,
    object: 'webhook_endpoint',
    url: record.url,
    enabledEvents: record.enabledEvents as WebhookEndpointResponse['enabledEvents'],
    status: record.status,
    ...(record.description ? { description: record.description } : {}),
    secretCreatedAt: record.secretCreatedAt,
    ...(previousLive && record.previousSecretExpiresAt
      ? { previousSecretExpiresAt: record.previousSecretExpiresAt }
      : {}),
    createdAt: record.createdAt,
  };
}

const noSuchEndpoint = (id: string) =>
  new DomainError('not_found', 'resource_missing', `No such webhook endpoint: ${id}.`, 'id');

async function requireEndpoint(merchantId: string, id: string): Promise<EndpointRecord> {
  const record = await getEndpointRecord(merchantId, id);
  if (!record) throw noSuchEndpoint(id);
  return record;
}

/**
 * Registers `url` for the merchant with a fresh secret, shown in this response only. A URL the
 * merchant already has keeps its endpoint: its secret rotates (the previous one signs too for
 * PREVIOUS_SECRET_GRACE_MS) and `enabledEvents` / `description`, when sent, replace the old ones.
 * Refusals: rejected `webhook_url_insecure`, `webhook_url_forbidden` (SSRF guard, after DNS),
 * `too_many_webhook_endpoints`.
 */
export async function prepareEndpointRegistration(
  merchantId: string,
  body: { url: string; enabledEvents?: string[] | undefined; description?: string | undefined },
  clock: Clock,
): Promise<Prepared<WebhookEndpointResponse & { secret: string }>> {
  const problem = await webhookUrlProblemAfterDns(body.url);
  if (problem) throw new DomainError('rejected', problem.code, problem.message, 'url');
  const existing = await listEndpointRecords(merchantId);
  const current = existing.find((endpoint) => endpoint.url === body.url);
  if (!current && existing.length >= MAX_ENDPOINTS_PER_MERCHANT) {
    throw new DomainError(
      'rejected',
      'too_many_webhook_endpoints',
      `A merchant has at most ${MAX_ENDPOINTS_PER_MERCHANT} webhook endpoints; delete one first.`,
    );
  }
  const secret = generateWebhookSecret();
  const secretCiphertext = await encryptWebhookSecret(merchantId, secret);
  const now = clock.now();
  const at = now.toISOString();
  const record: EndpointRecord = current
    ? {
        ...current,
        ...(body.enabledEvents ? { enabledEvents: body.enabledEvents } : {}),
        ...(body.description ? { description: body.description } : {}),
        secretCiphertext,
        secretCreatedAt: at,
        previousSecretCiphertext: current.secretCiphertext,
        previousSecretExpiresAt: new Date(now.getTime() + PREVIOUS_SECRET_GRACE_MS).toISOString(),
        version: current.version + 1,
        updatedAt: at,
      }
    : {
        id: newId('webhookEndpoint', now),
        merchantId,
        url: body.url,
        enabledEvents: body.enabledEvents ?? ['*'],
        status: 'enabled',
        ...(body.description ? { description: body.description } : {}),
        secretCiphertext,
        secretCreatedAt: at,
        version: 1,
        createdAt: at,
        updatedAt: at,
      };
  return {
    items: [putEndpointItem(record)],
    response: { ...toEndpointResponse(record, now), secret },
  };
}

/** The merchant's endpoints, oldest first (never a secret). */
export async function listEndpoints(merchantId: string, clock: Clock) {
  const now = clock.now();
  const records = await listEndpointRecords(merchantId);
  return { object: 'list' as const, data: records.map((r) => toEndpointResponse(r, now)), hasMore: false };
}

export async function getEndpoint(
  merchantId: string,
  id: string,
  clock: Clock,
): Promise<WebhookEndpointResponse> {
  return toEndpointResponse(await requireEndpoint(merchantId, id), clock.now());
}

/** Changes event types, status or description; conditional on the version read. */
export async function prepareEndpointUpdate(
  merchantId: string,
  id: string,
  body: UpdateWebhookEndpointBody,
  clock: Clock,
): Promise<Prepared<WebhookEndpointResponse>> {
  const current = await requireEndpoint(merchantId, id);
  const now = clock.now();
  const next: EndpointRecord = {
    ...current,
    ...(body.enabledEvents ? { enabledEvents: body.enabledEvents } : {}),
    ...(body.status ? { status: body.status } : {}),
    ...(body.description ? { description: body.description } : {}),
    version: current.version + 1,
    updatedAt: now.toISOString(),
  };
  return { items: [putEndpointItem(next)], response: toEndpointResponse(next, now) };
}

/** Deletes the endpoint (its secret with it); nothing is sent to it after this commits. */
export async function prepareEndpointDeletion(
  merchantId: string,
  id: string,
  clock: Clock,
): Promise<Prepared<WebhookEndpointResponse & { deleted: true }>> {
  const current = await requireEndpoint(merchantId, id);
  return {
    items: [deleteEndpointItem(current)],
    response: { ...toEndpointResponse(current, clock.now()), deleted: true },
  };
}

/**
 * A `webhook.test` event for this endpoint only (whatever it subscribes to), signed and delivered
 * like any other; it shows in GET /v1/events. Refusals: not_found; rejected `webhook_endpoint_disabled`.
 */
export async function prepareTestEvent(
  merchantId: string,
  id: string,
  clock: Clock,
): Promise<Prepared<WebhookEventPayload>> {
  const endpoint = await requireEndpoint(merchantId, id);
  if (endpoint.status !== 'enabled') {
    throw new DomainError(
      'rejected',
      'webhook_endpoint_disabled',
      'Enable the endpoint to send it a test event.',
    );
  }
  const { event, items } = webhookEvent(
    {
      merchantId,
      type: 'webhook.test',
      objectId: endpoint.id,
      // Each test of an endpoint is a new "version" of its test object: the endpoint version + time.
      sequence: Math.max(1, Math.floor(clock.now().getTime() / 1000)),
      data: { object: 'webhook_test', endpointId: endpoint.id, url: endpoint.url },
      endpointIds: [endpoint.id],
    },
    clock,
  );
  return { items, response: event };
}
