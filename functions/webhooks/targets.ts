/**
 * Where one delivery goes: the merchant's endpoints that are enabled and subscribed to the event's
 * type (a test event: only the endpoint it names), less those that already acknowledged it. An
 * event no endpoint subscribes to is never sent anywhere: its delivery is `skipped`.
 */
import { webhookUrlProblem } from '../lib/outbound.ts';
import type { EndpointRecord } from './endpoint-store.ts';
import { decryptWebhookSecret } from './secret.ts';
import type { DeliveryRecord } from './store.ts';

export interface Target {
  endpointId: string;
  url: string;
  /** The current secret, and the previous one while it is still valid (a second v1). */
  secrets: string[];
}

export type Targets = { kind: 'send'; targets: Target[] } | { kind: 'skip'; reason: string };

/** True when the endpoint takes events of `eventType` (`*` is every type). */
export function subscribes(endpoint: Pick<EndpointRecord, 'enabledEvents'>, eventType: string): boolean {
  return endpoint.enabledEvents.includes('*') || endpoint.enabledEvents.includes(eventType);
}

async function secretsOf(endpoint: EndpointRecord, at: Date): Promise<string[]> {
  const secrets = [await decryptWebhookSecret(endpoint.merchantId, endpoint.secretCiphertext)];
  if (
    endpoint.previousSecretCiphertext &&
    endpoint.previousSecretExpiresAt &&
    endpoint.previousSecretExpiresAt > at.toISOString()
  ) {
    secrets.push(await decryptWebhookSecret(endpoint.merchantId, endpoint.previousSecretCiphertext));
  }
  return secrets;
}

/** The endpoints this attempt of `delivery` goes to, or why it goes nowhere. */
export async function targetsOf(
  delivery: DeliveryRecord,
  endpoints: EndpointRecord[],
  at: Date,
): Promise<Targets> {
  if (endpoints.length === 0) return { kind: 'skip', reason: 'no_endpoint' };
  const wanted = endpoints.filter((endpoint) =>
    delivery.endpointIds
      ? delivery.endpointIds.includes(endpoint.id)
      : subscribes(endpoint, delivery.eventType),
  );
  const enabled = wanted.filter((endpoint) => endpoint.status === 'enabled');
  if (enabled.length === 0) {
    return { kind: 'skip', reason: wanted.length === 0 ? 'no_subscribed_endpoint' : 'endpoint_disabled' };
  }
  const allowed = enabled.filter((endpoint) => !webhookUrlProblem(endpoint.url));
  if (allowed.length === 0) return { kind: 'skip', reason: 'endpoint_url_rejected' };
  const done = new Set(delivery.deliveredTo ?? []);
  const pending = allowed.filter((endpoint) => !done.has(endpoint.id));
  const targets = await Promise.all(
    pending.map(async (endpoint) => ({
      endpointId: endpoint.id,
      url: endpoint.url,
      secrets: await secretsOf(endpoint, at),
    })),
  );
  return { kind: 'send', targets };
}
