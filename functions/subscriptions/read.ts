/** The merchant reads its subscriptions (the tenant comes from the API key, never from the path). */
import { DomainError } from '../lib/errors.ts';
import { cursorPage } from '../lib/list-cursor.ts';
import type { SubscriptionListResponse, SubscriptionResponse } from './schema.ts';
import * as store from './store.ts';
import { toSubscription } from './view.ts';

/** The merchant's subscription in this mode; another merchant's (or mode's) is 404 `resource_missing`. */
export async function requireSubscription(
  principal: { merchantId: string; livemode: boolean },
  id: string,
): Promise<store.SubscriptionRecord> {
  const s = await store.getSubscription(id);
  if (!s || s.merchantId !== principal.merchantId || s.livemode !== principal.livemode) {
    throw new DomainError('not_found', 'resource_missing', `No such subscription: ${id}.`, 'id');
  }
  return s;
}

export async function getSubscription(
  principal: { merchantId: string; livemode: boolean },
  id: string,
): Promise<SubscriptionResponse> {
  return toSubscription(await requireSubscription(principal, id));
}

/** `GET /v1/subscriptions`: newest first (400 `invalid_cursor` for a cursor not given to this merchant). */
export async function listSubscriptions(
  principal: { merchantId: string },
  query: { limit: number; startingAfter?: string | undefined },
): Promise<SubscriptionListResponse> {
  const { items, ...rest } = await cursorPage(
    { name: 'subscriptions', owner: principal.merchantId, kind: 'subscription' },
    query,
    (limit, after) => store.listMerchantSubscriptions(principal.merchantId, limit, after),
  );
  return { object: 'list', data: items.map(toSubscription), ...rest };
}
