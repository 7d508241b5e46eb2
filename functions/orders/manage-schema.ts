/** Schemas of the order-management routes (issue 13): capture and refund resources, shipping info, updates. */
import * as z from 'zod';
import { MinorUnitsSchema } from '../lib/money.ts';
import { OrderLinesSchema, orderDataFields } from '../lib/order-lines.ts';
import { defineSchema, freeText, idOf } from '../lib/schema.ts';
import { CaptureResponse, RefundResponse, ShippingInfoRequest } from './schema.ts';

export const OrderCaptureParams = /* @__PURE__ */ defineSchema(() =>
  z.object({ id: idOf('order'), captureId: idOf('capture') }),
);

export const OrderRefundParams = /* @__PURE__ */ defineSchema(() =>
  z.object({ id: idOf('order'), refundId: idOf('refund') }),
);

export const AddShippingInfoBody = /* @__PURE__ */ defineSchema(() =>
  z
    .strictObject({ shippingInfo: z.array(ShippingInfoRequest).min(1).max(10) })
    .meta({ id: 'AddShippingInfoRequest' }),
);

export const CaptureList = /* @__PURE__ */ defineSchema(() =>
  z
    .object({ object: z.literal('list'), data: z.array(CaptureResponse), hasMore: z.boolean() })
    .meta({ id: 'CaptureList' }),
);

export const RefundList = /* @__PURE__ */ defineSchema(() =>
  z
    .object({ object: z.literal('list'), data: z.array(RefundResponse), hasMore: z.boolean() })
    .meta({ id: 'RefundList' }),
);

/**
 * An update of an order whose authorization is open. Each field is optional, at least one is sent.
 * `amount` may only go down (a higher amount needs the shopper's fresh approval); `lines` replace
 * the order's lines and must add up to the amount (the new one, or the current one).
 */
export const UpdateOrderBody = /* @__PURE__ */ defineSchema(() => {
  const { lines: _lines, ...data } = orderDataFields();
  return z
    .strictObject({
      amount: MinorUnitsSchema.optional().meta({
        description: 'The new authorized amount: at most the current one, at least what was captured.',
      }),
      lines: OrderLinesSchema.optional().meta({
        description: "Replace the order's lines; they must add up exactly to the (new) amount.",
      }),
      ...data,
      merchantReference: freeText().trim().min(1).max(255).optional(),
      version: z.int().min(1).optional().meta({
        description: 'The order `version` you read: the update is refused (409) if the order changed since.',
      }),
    })
    .refine((body) => Object.keys(body).some((key) => key !== 'version'), {
      error: 'send at least one field to change',
    })
    .meta({ id: 'UpdateOrderRequest' });
});
export type UpdateOrderBody = z.infer<typeof UpdateOrderBody>;
