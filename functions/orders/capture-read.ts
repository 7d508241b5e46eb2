/**
 * Captures and refunds as resources of their own (Klarna OM: GET a capture, list an order's
 * captures and refunds). Each is read with its order's partition, so tenancy is the order's: another
 * merchant's capture is not found, whatever ids are sent.
 */
import { DomainError } from '../lib/errors.ts';
import type { CaptureRecord, OrderPartition, RefundRecord } from './model.ts';
import type { CaptureResponse, RefundResponse } from './schema.ts';
import { type MerchantPrincipal, requirePartition } from './shared.ts';
import { toCapture, toRefund } from './view.ts';

const missing = (what: 'capture' | 'refund', id: string, param: string) =>
  new DomainError('not_found', 'resource_missing', `No such ${what} on this order: ${id}.`, param);

/** The capture with its installments (as scheduled) and disclosure. */
export function captureView(partition: OrderPartition, capture: CaptureRecord): CaptureResponse {
  const installments = partition.installments.filter((i) => i.captureId === capture.id);
  return toCapture(capture, installments);
}

export function findCapture(partition: OrderPartition, captureId: string): CaptureRecord {
  const capture = partition.captures.find((c) => c.id === captureId);
  if (!capture) throw missing('capture', captureId, 'captureId');
  return capture;
}

function findRefund(partition: OrderPartition, refundId: string): RefundRecord {
  const refund = partition.refunds.find((r) => r.id === refundId);
  if (!refund) throw missing('refund', refundId, 'refundId');
  return refund;
}

/** One capture of the merchant's order; not_found for another merchant's order or capture. */
export async function getCapture(
  principal: MerchantPrincipal,
  orderId: string,
  captureId: string,
): Promise<CaptureResponse> {
  const partition = await requirePartition(principal, orderId);
  return captureView(partition, findCapture(partition, captureId));
}

/** The order's captures, oldest first (at most MAX_CAPTURES_PER_ORDER: one page). */
export async function listCaptures(principal: MerchantPrincipal, orderId: string) {
  const partition = await requirePartition(principal, orderId);
  return {
    object: 'list' as const,
    data: partition.captures.map((capture) => captureView(partition, capture)),
    hasMore: false,
  };
}

export async function getRefund(
  principal: MerchantPrincipal,
  orderId: string,
  refundId: string,
): Promise<RefundResponse> {
  return toRefund(findRefund(await requirePartition(principal, orderId), refundId));
}

/** The order's refunds, oldest first (read with the order's partition: one page). */
export async function listRefunds(principal: MerchantPrincipal, orderId: string) {
  const partition = await requirePartition(principal, orderId);
  return { object: 'list' as const, data: partition.refunds.map(toRefund), hasMore: false };
}
