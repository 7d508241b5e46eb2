import {
  CreateWebhookEndpointBody,
  ListWebhookDeliveriesQuery,
  WebhookDeliveryIdParams,
  WebhookDeliveryList,
  WebhookDeliveryResponse,
  WebhookEndpointList,
  WebhookEndpointWithSecretResponse,
} from '../../functions/webhooks/schema.ts';
import { errors, type Route } from './route.ts';

const webhooksEntry = 'functions/webhooks/handler.ts';

/** Webhook endpoint and delivery routes: their functions form the `webhooks` nested stack (`functions/webhooks/…`). */
export const webhooksRoutes: Route[] = [
  {
    operationId: 'createWebhookEndpoint',
    method: 'POST',
    path: '/v1/webhook-endpoints',
    entry: webhooksEntry,
    handler: 'createWebhookEndpoint',
    auth: 'merchant',
    summary: 'Register (or replace) the webhook endpoint; returns its signing secret once',
    tags: ['webhooks'],
    request: { body: CreateWebhookEndpointBody },
    responses: {
      201: { description: 'Registered.', schema: WebhookEndpointWithSecretResponse },
      ...errors(400, 401, 403, 409, 422),
    },
    // Encrypts the new signing secret, and seals / unseals the stored idempotent response that
    // carries it (idempotency `sensitive`), so a replay needs decrypt too.
    access: { main: 'readwrite', keys: ['secrets:encrypt', 'secrets:decrypt'] },
    idempotent: true,
  },
  {
    operationId: 'listWebhookEndpoints',
    method: 'GET',
    path: '/v1/webhook-endpoints',
    entry: webhooksEntry,
    handler: 'listWebhookEndpoints',
    auth: 'merchant',
    summary: 'The webhook endpoint (never its secret)',
    tags: ['webhooks'],
    responses: { 200: { description: 'Endpoints.', schema: WebhookEndpointList }, ...errors(401, 403) },
    access: { main: 'read' },
  },
  {
    operationId: 'listWebhookDeliveries',
    method: 'GET',
    path: '/v1/admin/webhook-deliveries',
    entry: 'functions/webhooks/deliveries-handler.ts',
    handler: 'listWebhookDeliveries',
    auth: 'operator',
    summary: 'Dead (the DLQ) or skipped webhook deliveries, newest first',
    tags: ['admin'],
    request: { query: ListWebhookDeliveriesQuery },
    responses: { 200: { description: 'Deliveries.', schema: WebhookDeliveryList }, ...errors(400, 401) },
    access: { main: 'read' },
  },
  {
    operationId: 'retryWebhookDelivery',
    method: 'POST',
    path: '/v1/admin/webhook-deliveries/{id}/retry',
    entry: 'functions/webhooks/deliveries-handler.ts',
    handler: 'retryWebhookDelivery',
    auth: 'operator',
    summary: 'Queue a dead or skipped delivery again with a fresh attempt budget (audited)',
    tags: ['admin'],
    request: { params: WebhookDeliveryIdParams },
    responses: {
      200: { description: 'Queued.', schema: WebhookDeliveryResponse },
      ...errors(400, 401, 404, 409),
    },
    access: { main: 'readwrite' },
  },
];
