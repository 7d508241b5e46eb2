/** Operator routes over dead and skipped webhook deliveries (the DLQ): list them, queue one again. */
import { clock } from '../lib/clock.ts';
import { httpHandler, operatorAccess } from '../lib/http.ts';
import { commitOrConflict } from './commit.ts';
import { ListWebhookDeliveriesQuery, WebhookDeliveryIdParams } from './schema.ts';
import * as webhooks from './service.ts';

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
