/**
 * The merchant's webhook endpoints (several, each subscribed to event types) and its events. The
 * operator's delivery routes are in `deliveries-handler.ts`.
 */
import { clock } from '../lib/clock.ts';
import { httpHandler } from '../lib/http.ts';
import { keyServiceSealer } from '../lib/response-sealer.ts';
import { merchantAccess } from '../merchants/access.ts';
import { commitOrConflict } from './commit.ts';
import * as endpoints from './endpoints.ts';
import { getMerchantEvent, listMerchantEvents } from './event-log.ts';
import {
  CreateWebhookEndpointBody,
  ListEventsQuery,
  UpdateWebhookEndpointBody,
  WebhookDeliveryIdParams,
  WebhookEndpointIdParams,
} from './schema.ts';

const idempotency = { scope: (p: { merchantId: string }) => p.merchantId };

export const createWebhookEndpoint = httpHandler(
  {
    auth: merchantAccess,
    body: CreateWebhookEndpointBody,
    idempotency: { ...idempotency, sensitive: keyServiceSealer },
  },
  async ({ body, principal, commit }) => {
    const { items, response } = await endpoints.prepareEndpointRegistration(
      principal.merchantId,
      body,
      clock(),
    );
    return commitOrConflict(commit, items, { status: 201, body: response });
  },
);

export const listWebhookEndpoints = httpHandler({ auth: merchantAccess }, async ({ principal }) => ({
  status: 200,
  body: await endpoints.listEndpoints(principal.merchantId, clock()),
}));

export const getWebhookEndpoint = httpHandler(
  { auth: merchantAccess, params: WebhookEndpointIdParams },
  async ({ principal, params }) => ({
    status: 200,
    body: await endpoints.getEndpoint(principal.merchantId, params.id, clock()),
  }),
);

export const updateWebhookEndpoint = httpHandler(
  { auth: merchantAccess, params: WebhookEndpointIdParams, body: UpdateWebhookEndpointBody, idempotency },
  async ({ principal, params, body, commit }) => {
    const { items, response } = await endpoints.prepareEndpointUpdate(
      principal.merchantId,
      params.id,
      body,
      clock(),
    );
    return commitOrConflict(commit, items, { status: 200, body: response });
  },
);

export const deleteWebhookEndpoint = httpHandler(
  { auth: merchantAccess, params: WebhookEndpointIdParams },
  async ({ principal, params, commit }) => {
    const { items, response } = await endpoints.prepareEndpointDeletion(
      principal.merchantId,
      params.id,
      clock(),
    );
    return commitOrConflict(commit, items, { status: 200, body: response });
  },
);

export const testWebhookEndpoint = httpHandler(
  { auth: merchantAccess, params: WebhookEndpointIdParams, idempotency },
  async ({ principal, params, commit }) => {
    const { items, response } = await endpoints.prepareTestEvent(principal.merchantId, params.id, clock());
    return commitOrConflict(commit, items, { status: 201, body: response });
  },
);

export const listEvents = httpHandler(
  { auth: merchantAccess, query: ListEventsQuery },
  async ({ principal, query }) => ({
    status: 200,
    body: await listMerchantEvents(principal.merchantId, query, clock()),
  }),
);

export const getEvent = httpHandler(
  { auth: merchantAccess, params: WebhookDeliveryIdParams },
  async ({ principal, params }) => ({
    status: 200,
    body: await getMerchantEvent(principal.merchantId, params.id, clock()),
  }),
);
