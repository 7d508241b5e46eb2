/**
 * `POST /v1/me/disputes`: the signed-in shopper reports one of their orders as unauthorized.
 * Filing puts the order on hold at once (orders face `holdOrderItem`: collection skips it, no late
 * fee accrues, due dates freeze), opens the dispute `under_review`, tells the merchant
 * (`dispute.created`) and audits it, in ONE transaction. Regulation E (12 CFR 1005.11) and the
 * CFPB: payments on a charge under investigation are paused.
 *
 * Idempotent: an order has at most one dispute (named on the order); filing again, or two filings
 * racing, return that dispute (`created: false`).
 */
import type { Clock } from '../lib/clock.ts';
import { DomainError } from '../lib/errors.ts';
import { newId } from '../lib/ids.ts';
import { isCancellation } from '../lib/transactions.ts';
import type { Commit } from '../lib/use-case.ts';
import { DISPUTABLE_STATUSES, holdOrderItem, orderForCase } from '../orders/collection-face.ts';
import { noticeFiled } from './notices.ts';
import type { DisputeReason, DisputeResponse } from './schema.ts';
import { type DisputeRecord, getDispute, putDisputeItem, queueItem } from './store.ts';
import { changeRecords, toDispute } from './view.ts';

export interface Filed {
  dispute: DisputeResponse;
  /** False when the order's dispute already existed (filing again). */
  created: boolean;
}

const noSuchOrder = (id: string) =>
  new DomainError('not_found', 'resource_missing', `No such order: ${id}.`, 'orderId');

async function existing(disputeId: string): Promise<Filed> {
  const dispute = await getDispute(disputeId);
  if (!dispute) throw new DomainError('conflict', 'concurrent_update', 'The dispute is being filed; retry.');
  return { dispute: toDispute(dispute), created: false };
}

/**
 * Files (or finds) the dispute of the customer's order. Refusals: not_found (no such order, or
 * another customer's); rejected `order_not_disputable` (nothing captured, or the order is refunded,
 * cancelled or expired); conflict `concurrent_update` (the order changed meanwhile: retry).
 */
export async function fileDispute(
  principal: { customerId: string },
  body: { orderId: string; reason: DisputeReason },
  commit: Commit<Filed>,
  clock: Clock,
): Promise<Filed> {
  const order = await orderForCase(body.orderId);
  if (!order || order.customerId !== principal.customerId) throw noSuchOrder(body.orderId);
  if (order.disputeId) return existing(order.disputeId);
  if (!DISPUTABLE_STATUSES.includes(order.status)) {
    throw new DomainError(
      'rejected',
      'order_not_disputable',
      `The order is ${order.status}; only an order with captured money can be disputed.`,
      'orderId',
    );
  }
  const now = clock.now();
  const at = now.toISOString();
  const dispute: DisputeRecord = {
    id: newId('dispute', now),
    orderId: order.id,
    merchantId: order.merchantId,
    customerId: order.customerId,
    merchantReference: order.merchantReference,
    reason: body.reason,
    status: 'under_review',
    amount: order.capturedAmount - order.refundedAmount,
    currency: order.currency,
    evidence: [],
    version: 1,
    createdAt: at,
    updatedAt: at,
  };
  const filed: Filed = { dispute: toDispute(dispute), created: true };
  try {
    await commit(
      [
        holdOrderItem(order, dispute.id, at),
        putDisputeItem(dispute),
        queueItem(dispute),
        ...changeRecords(
          'dispute.created',
          dispute,
          { action: 'dispute.filed', actor: principal.customerId, reason: body.reason },
          clock,
        ),
      ],
      filed,
    );
  } catch (error) {
    if (!isCancellation(error)) throw error;
    // Lost to a concurrent filing (return its dispute) or to another change of the order (retry).
    const again = await orderForCase(order.id);
    if (again?.disputeId) return existing(again.disputeId);
    throw new DomainError('conflict', 'concurrent_update', 'The order changed meanwhile; retry.');
  }
  await noticeFiled(dispute, now);
  return filed;
}
