/**
 * `POST /v1/orders/{id}/release-remaining-authorization` (Klarna OM "release remaining
 * authorization"): after a partial capture, the merchant will ship nothing more, so the rest of the
 * authorization is given up at once instead of staying reserved until it lapses (28 days or more).
 * The order can then reach `paid_off` as soon as its installments are paid.
 */
import type { Clock } from '../lib/clock.ts';
import { DomainError } from '../lib/errors.ts';
import type { Commit } from '../lib/use-case.ts';
import { orderEventItems } from './events.ts';
import { settleOrder } from './lifecycle.ts';
import type { OrderRecord } from './model.ts';
import type { OrderSummaryResponse } from './schema.ts';
import { committing, type MerchantPrincipal, requireOrder } from './shared.ts';
import { remainingAuthorized } from './state.ts';
import * as store from './store.ts';
import { toSummary } from './view.ts';

/**
 * Releases what is left of the authorization of a partly captured order: `authorizationReleased`
 * set, the expiry marker dropped and `order.authorization_released` sent, in one transaction
 * conditioned on the version and the captured total read (a capture meanwhile makes it lose). Then
 * settles the order (`paid_off` when nothing is left to collect, with its own event).
 * Refusals: rejected `nothing_to_release` (nothing captured: cancel instead; or nothing left);
 * not_found; conflict `concurrent_update`.
 */
export async function releaseRemainingAuthorization(
  principal: MerchantPrincipal,
  id: string,
  commit: Commit<OrderSummaryResponse>,
  clock: Clock,
): Promise<OrderSummaryResponse> {
  const order = await requireOrder(principal, id);
  if (order.capturedAmount === 0) {
    throw new DomainError(
      'rejected',
      'nothing_to_release',
      'Nothing was captured on this order; cancel it to release the whole authorization.',
    );
  }
  if (remainingAuthorized(order) === 0) {
    throw new DomainError(
      'rejected',
      'nothing_to_release',
      `The order is ${order.status} with no authorization left to release.`,
    );
  }
  const at = clock.now().toISOString();
  const after: OrderRecord = {
    ...order,
    authorizationReleased: true,
    version: order.version + 1,
    updatedAt: at,
  };
  const result = await committing(
    commit,
    [
      store.orderTransitionItem(order, order.status, { authorizationReleased: true }, at, {
        condition: 'capturedAmount = :prevCaptured',
        values: { ':prevCaptured': order.capturedAmount },
      }),
      store.deleteAuthExpiryItem(order.id),
      ...orderEventItems('order.authorization_released', after, clock),
    ],
    toSummary(after),
  );
  // Nothing left to collect and nothing more to capture: paid_off now (its own version and event).
  await settleOrder(order.id, clock);
  return result;
}
