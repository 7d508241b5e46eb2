/**
 * The merchant's webhook endpoint: register (or replace) it, list it. The operator's delivery
 * routes are in `deliveries-handler.ts`.
 */
import { clock } from '../lib/clock.ts';
import { httpHandler } from '../lib/http.ts';
import { keyServiceSealer } from '../lib/response-sealer.ts';
import { merchantAccess } from '../merchants/access.ts';
import { commitOrConflict } from './commit.ts';
import { CreateWebhookEndpointBody } from './schema.ts';
import * as webhooks from './service.ts';

export const createWebhookEndpoint = httpHandler(
  {
    auth: merchantAccess,
    body: CreateWebhookEndpointBody,
    idempotency: { scope: (p) => p.merchantId, sensitive: keyServiceSealer },
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
