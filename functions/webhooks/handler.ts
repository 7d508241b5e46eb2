import { clock } from '../lib/clock.ts';
import { transactionCancelReasons } from '../lib/dynamodb.ts';
import { conflict } from '../lib/errors.ts';
import { type HttpInput, type HttpResult, httpHandler, operatorAccess } from '../lib/http.ts';
import type { TransactItem } from '../lib/idempotency.ts';
import { merchantAccess } from '../merchants/auth.ts';
import { CreateWebhookEndpointBody, ListWebhookDeliveriesQuery, WebhookDeliveryIdParams } from './schema.ts';
import * as webhooks from './service.ts';

/** A lost condition on our own item (not the idempotency record) means a concurrent change: 409. */
async function commitOrConflict(
  commit: HttpInput<unknown, unknown, unknown, unknown>['commit'],
  items: TransactItem[],
  result: HttpResult,
): Promise<HttpResult> {
  try {
    return await commit(items, result);
  } catch (error) {
    if (transactionCancelReasons(error)?.[0] === 'ConditionalCheckFailed') {
      throw conflict('concurrent_update', 'The resource was changed by another request; retry.');
    }
    throw error;
  }
}

export const createWebhookEndpoint = httpHandler(
  {
    auth: merchantAccess,
    body: CreateWebhookEndpointBody,
    idempotency: { scope: (p) => p.merchantId, sensitive: true },
  },
  async ({ body, principal, commit }) => {
    const { items, response } = await webhooks.prepareEndpointRegistration(
      principal.merchantId,
      body.url,
      clock(),
    );
    return commitOrConflict(commit, items, { status: 201, body: response });
  },
);

export const listWebhookEndpoints = httpHandler({ auth: merchantAccess }, async ({ principal }) => ({
  status: 200,
  body: await webhooks.listEndpoints(principal.merchantId, clock()),
}));

export const listWebhookDeliveries = httpHandler(
  { auth: operatorAccess, query: ListWebhookDeliveriesQuery },
  async ({ query }) => ({ status: 200, body: await webhooks.listDeliveries(query) }),
);

export const retryWebhookDelivery = httpHandler(
  { auth: operatorAccess, params: WebhookDeliveryIdParams },
  async ({ params, principal, commit }) => {
    const { items, response } = await webhooks.prepareRequeue(params.id, principal.operatorArn, clock());
    return commitOrConflict(commit, items, { status: 200, body: response });
  },
);
