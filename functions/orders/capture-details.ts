/**
 * What a capture or a refund carries beside its amount: the order lines it moves, the merchant's
 * reference and, for a capture, its shipments (Klarna OM: captures and refunds take `order_lines`
 * and a `reference`; captures take `shipping_info`). The request schemas (./schema.ts) have already
 * checked that the lines add up to the amount (functions/lib/order-lines.ts).
 */
import type { OrderLine } from '../lib/order-lines.ts';
import type { CaptureRecord, RefundRecord, ShippingInfo } from './model.ts';

export type ShippingInfoInput = Omit<ShippingInfo, 'addedAt'>;

export interface CaptureDetails {
  lines?: OrderLine[] | undefined;
  reference?: string | undefined;
  shippingInfo?: ShippingInfoInput[] | undefined;
}

export interface RefundDetails {
  orderLines?: OrderLine[] | undefined;
  reference?: string | undefined;
}

/** A shipment as stored: only the fields given, stamped with when it was added. */
export function shipment(input: ShippingInfoInput, at: string): ShippingInfo {
  return {
    carrier: input.carrier,
    trackingNumber: input.trackingNumber,
    ...(input.trackingUrl ? { trackingUrl: input.trackingUrl } : {}),
    ...(input.method ? { method: input.method } : {}),
    addedAt: at,
  };
}

/** The capture record's extra fields (only those given). */
export function captureDetailsOf(
  details: CaptureDetails,
  at: string,
): Pick<CaptureRecord, 'lines' | 'reference' | 'shippingInfo'> {
  return {
    ...(details.lines ? { lines: details.lines } : {}),
    ...(details.reference ? { reference: details.reference } : {}),
    ...(details.shippingInfo ? { shippingInfo: details.shippingInfo.map((s) => shipment(s, at)) } : {}),
  };
}

/** The refund record's extra fields (only those given). */
export function refundDetailsOf(details: RefundDetails): Pick<RefundRecord, 'orderLines' | 'reference'> {
  return {
    ...(details.orderLines ? { orderLines: details.orderLines } : {}),
    ...(details.reference ? { reference: details.reference } : {}),
  };
}
