import { type Approval, checkApproval, redeemApproval, redeemFailure } from '../checkout/approval.ts';
import { buildSchedule } from '../installments/terms.ts';
import type { Clock } from '../lib/clock.ts';
import { newId } from '../lib/ids.ts';
import { Transaction } from '../lib/transactions.ts';
import type { Commit } from '../lib/use-case.ts';
import { merchantActiveItem, merchantSuspended } from '../merchants/access.ts';
import { autoCaptured } from './auto-capture.ts';
import { requestCharges } from './charge-requests.ts';
import { orderEventItems } from './events.ts';
import { orderReferenceItem } from './list-store.ts';
import type { OrderRecord } from './model.ts';
import { AUTHORIZATION_MAX_LIFE_MS, AUTHORIZATION_TTL_MS } from './policy.ts';
import type { OrderResponse } from './schema.ts';
import { concurrentUpdate, type MerchantPrincipal, scheduleOptions } from './shared.ts';
import * as store from './store.ts';
import { toOrder } from './view.ts';

/** A new order from an approval: authorized, nothing captured, the schedule as previewed. */
function newOrder(principal: MerchantPrincipal, approval: Approval, now: Date): OrderRecord {
  const nowMs = now.getTime();
  const at = now.toISOString();
  const schedule = buildSchedule(
    approval.plan,
    approval.amount,
    approval.currency,
    now,
    scheduleOptions(approval),
  );
  return {
    id: newId('order', now),
    merchantId: principal.merchantId,
    livemode: principal.livemode,
    customerId: approval.customerId,
    checkoutSessionId: approval.checkoutSessionId,
    merchantReference: approval.merchantReference,
    ...(approval.orderData ?? {}),
    status: 'authorized',
    amount: approval.amount,
    currency: approval.currency,
    plan: approval.plan,
    ...scheduleOptions(approval),
    cardToken: approval.cardToken,
    ...(approval.cardFingerprint ? { cardFingerprint: approval.cardFingerprint } : {}),
    cardBrand: approval.cardBrand,
    cardLast4: approval.cardLast4,
    ...(approval.riskDecision ? { riskDecision: approval.riskDecision } : {}),
    capturedAmount: 0,
    refundedAmount: 0,
    outstandingAmount: 0,
    collectedAmount: 0,
    captureCount: 0,
    authorizationExpiresAt: new Date(nowMs + AUTHORIZATION_TTL_MS).toISOString(),
    authorizationMaxExpiresAt: new Date(nowMs + AUTHORIZATION_MAX_LIFE_MS).toISOString(),
    schedulePreview: { installments: schedule.installments, disclosure: schedule.disclosure },
    version: 1,
    createdAt: at,
    updatedAt: at,
  };
}

/**
 * Turns the shopper's approval into an `authorized` order. Reads: the approval (one GetItem, through
 * checkout's face). Writes, in ONE transaction with the idempotency record: the approval consumed
 * (unused, unexpired, this merchant's), the session completed (one order per session), the order,
 * its expiry marker, its merchantReference marker, the shopper's order link and the
 * `order.authorized` event. No KMS: the card is referenced by token. The transaction is conditioned
 * on the merchant being active. With `autoCapture` the order is captured in full in the same
 * transaction (./auto-capture.ts) and the installments due now are handed to the charger after the
 * commit, as a capture's are. Refusals: checkout's `authorization_token_*` and `checkout_session_completed`
 * (rejected), denied `merchant_suspended`, conflict `concurrent_update`.
 */
export async function createOrder(
  principal: MerchantPrincipal,
  body: { authorizationToken: string; autoCapture?: boolean | undefined },
  commit: Commit<OrderResponse>,
  clock: Clock,
): Promise<OrderResponse> {
  const now = clock.now();
  const approval = await checkApproval(principal, body.authorizationToken, now);
  const authorized = newOrder(principal, approval, now);
  const captured = body.autoCapture ? autoCaptured(authorized, now, clock) : undefined;
  const partition = captured?.partition ?? { order: authorized, captures: [], installments: [], refunds: [] };
  const order = partition.order;
  const tx = new Transaction<'approval' | 'session' | 'merchant' | 'order'>()
    .addAll(redeemApproval(approval, order.id, now))
    // A suspension that lands while this request runs still stops it.
    .add('merchant', merchantActiveItem(principal.merchantId))
    .add(
      'order',
      ...(captured?.items ?? [
        store.putOrderItem(order),
        store.putAuthExpiryItem(order),
        ...orderEventItems('order.authorized', order, clock),
      ]),
      store.customerOrderItem(order),
      orderReferenceItem(order),
    );
  const response = toOrder(partition);
  await tx.write(
    (items) => commit(items, response),
    (cancelled) =>
      cancelled.lost('merchant')
        ? merchantSuspended()
        : (redeemFailure(cancelled, approval, clock.now()) ?? concurrentUpdate()),
  );
  // As after a capture: the installments due now go to the charger; a lost request is settled by collection.
  if (captured)
    await requestCharges(
      partition.installments.filter((i) => i.status === 'charging'),
      now,
    );
  return response;
}
