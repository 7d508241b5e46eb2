/**
 * `POST /v1/orders/{id}/captures/{captureId}/shipping-info` (Klarna OM "add shipping info to a
 * capture"): shipments are often known after the capture; they are appended to the capture.
 */
import type { Clock } from '../lib/clock.ts';
import { DomainError } from '../lib/errors.ts';
import type { Commit } from '../lib/use-case.ts';
import { type ShippingInfoInput, shipment } from './capture-details.ts';
import { captureView, findCapture } from './capture-read.ts';
import type { CaptureRecord } from './model.ts';
import type { CaptureResponse } from './schema.ts';
import { committing, type MerchantPrincipal, requirePartition } from './shared.ts';
import * as store from './store.ts';

/** Shipments per capture (the request schema takes at most this many at once too). */
export const MAX_SHIPMENTS_PER_CAPTURE = 10;

/**
 * Appends `shippingInfo` to the capture, conditioned on the shipments read (a concurrent append
 * makes it lose: 409 `concurrent_update`, nothing written). Refusals: not_found (order, capture);
 * invalid `parameter_invalid` beyond MAX_SHIPMENTS_PER_CAPTURE.
 */
export async function addShippingInfo(
  principal: MerchantPrincipal,
  orderId: string,
  captureId: string,
  shippingInfo: ShippingInfoInput[],
  commit: Commit<CaptureResponse>,
  clock: Clock,
): Promise<CaptureResponse> {
  const partition = await requirePartition(principal, orderId);
  const capture = findCapture(partition, captureId);
  const current = capture.shippingInfo ?? [];
  if (current.length + shippingInfo.length > MAX_SHIPMENTS_PER_CAPTURE) {
    throw new DomainError(
      'invalid',
      'parameter_invalid',
      `A capture holds at most ${MAX_SHIPMENTS_PER_CAPTURE} shipments; it has ${current.length}.`,
      'shippingInfo',
    );
  }
  const at = clock.now().toISOString();
  const after: CaptureRecord = {
    ...capture,
    shippingInfo: [...current, ...shippingInfo.map((s) => shipment(s, at))],
  };
  return committing(
    commit,
    [store.captureShippingItem(capture, after.shippingInfo ?? [])],
    captureView(partition, after),
  );
}
