/**
 * The merchants capability's face: what other capabilities may use of a merchant. API-key
 * authentication (`merchantAccess`, for merchant routes) and the webhook endpoint kept on the merchant
 * record (read it; write it inside the caller's transaction). Re-exports only.
 */
export { type MerchantPrincipal, merchantAccess } from './auth.ts';
export { isMerchantActive, merchantActiveItem, merchantDisplayName, merchantSuspended } from './standing.ts';
export { getWebhookEndpoint, setWebhookEndpointItem, type WebhookEndpointState } from './webhook-endpoint.ts';
