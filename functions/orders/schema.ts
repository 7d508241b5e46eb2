import * as z from 'zod';
import { DisclosureResponse, PlanIdSchema, ScheduledInstallmentResponse } from '../installments/terms.ts';
import { CurrencyCodeSchema, MinorUnitsSchema } from '../lib/money.ts';
import {
  OrderLineSchema,
  OrderLinesSchema,
  orderDataResponseFields,
  withLinesRule,
} from '../lib/order-lines.ts';
import { defineSchema, freeText, IsoDateTime, idOf, panFree } from '../lib/schema.ts';
import { ORDER_STATUSES } from './state.ts';

export const CreateOrderBody = /* @__PURE__ */ defineSchema(() =>
  z
    .strictObject({
      authorizationToken: freeText().min(1).max(128).meta({
        description: "The shopper's approval from the checkout (authz_…); usable once, 60 minutes.",
      }),
      autoCapture: z.boolean().optional().meta({
        description:
          'Capture the whole amount now, in the same step (digital goods): the order is created `captured` and the installments due now are charged.',
      }),
    })
    .meta({ id: 'CreateOrderRequest' }),
);

export const OrderIdParams = /* @__PURE__ */ defineSchema(() => z.object({ id: idOf('order') }));

const reference = () =>
  freeText()
    .trim()
    .min(1)
    .max(255)
    .meta({ description: 'Your own reference (shown in settlement reports).' });
const shortText = () => freeText().trim().min(1).max(100);

/** A shipment (Klarna OM shipping_info): carrier and tracking; the URL must be https. */
export const ShippingInfoRequest = /* @__PURE__ */ defineSchema(() =>
  z
    .strictObject({
      carrier: shortText().meta({ description: 'The shipping company (e.g. DHL, UPS).' }),
      trackingNumber: shortText(),
      trackingUrl: panFree(z.url({ protocol: /^https$/ }).max(1024))
        .optional()
        .meta({ description: 'https only.' }),
      method: shortText().optional().meta({ description: 'e.g. Home, PickUpPoint, Express.' }),
    })
    .meta({ id: 'ShippingInfoRequest' }),
);

export const ShippingInfoResponse = /* @__PURE__ */ defineSchema(() =>
  z
    .object({
      carrier: z.string(),
      trackingNumber: z.string(),
      trackingUrl: z.string().optional(),
      method: z.string().optional(),
      addedAt: IsoDateTime,
    })
    .meta({ id: 'ShippingInfo' }),
);

export const CaptureBody = /* @__PURE__ */ defineSchema(() =>
  withLinesRule(
    z.strictObject({
      amount: MinorUnitsSchema.meta({ description: 'Minor units; at most what is left to capture.' }),
      lines: OrderLinesSchema.optional().meta({
        description:
          'What this capture ships (Klarna order_lines); their totalAmounts sum exactly to `amount`.',
      }),
      reference: reference().optional(),
      shippingInfo: z.array(ShippingInfoRequest).min(1).max(10).optional(),
    }),
    'lines',
  ).meta({ id: 'CaptureRequest' }),
);
export type CaptureBody = z.infer<typeof CaptureBody>;

export const RefundBody = /* @__PURE__ */ defineSchema(() =>
  withLinesRule(
    z.strictObject({
      amount: MinorUnitsSchema.meta({
        description:
          'Minor units of the purchase (principal, never interest); at most what was captured less what was refunded (of the named capture, with captureId).',
      }),
      captureId: idOf('capture').optional().meta({
        description:
          'The capture refunded. Without it the refund runs over the captures from the latest backwards.',
      }),
      orderLines: OrderLinesSchema.optional().meta({
        description:
          'What is returned (Klarna order_lines); their totalAmounts sum exactly to `amount`. (`lines` of the response is the per-installment breakdown.)',
      }),
      reference: reference().optional(),
    }),
    'orderLines',
  ).meta({ id: 'RefundRequest' }),
);
export type RefundBody = z.infer<typeof RefundBody>;

export const OrderStatusSchema = /* @__PURE__ */ defineSchema(() =>
  z.enum(ORDER_STATUSES).meta({ id: 'OrderStatus' }),
);

export const ListOrdersQuery = /* @__PURE__ */ defineSchema(() =>
  z.strictObject({
    limit: z.coerce.number().int().min(1).max(100).default(10),
    startingAfter: freeText()
      .min(1)
      .max(512)
      .optional()
      .meta({ description: 'The opaque `nextCursor` of the previous page.' }),
    status: OrderStatusSchema.optional().meta({
      description: 'Only orders in this status (with merchantReference: those of the reference in it).',
    }),
    createdFrom: IsoDateTime.optional().meta({ description: 'Created at or after this instant.' }),
    createdTo: IsoDateTime.optional().meta({ description: 'Created at or before this instant.' }),
    merchantReference: freeText()
      .trim()
      .min(1)
      .max(255)
      .optional()
      .meta({ description: 'Only orders with exactly this reference.' }),
  }),
);
export type ListOrdersQuery = z.infer<typeof ListOrdersQuery>;

export const InstallmentStatusSchema = /* @__PURE__ */ defineSchema(() =>
  z.enum(['due', 'charging', 'paid', 'failed', 'cancelled']).meta({ id: 'InstallmentStatus' }),
);

export const InstallmentPaymentSourceSchema = /* @__PURE__ */ defineSchema(() =>
  z.enum(['card', 'balance', 'balance_and_card']).meta({ id: 'InstallmentPaymentSource' }),
);

export const InstallmentResponse = /* @__PURE__ */ defineSchema(() =>
  z
    .object({
      id: z.string(),
      captureId: z.string(),
      seq: z.int(),
      dueDate: z.iso.date(),
      amount: z
        .int()
        .meta({ description: 'What is (or was) collected: the original amount less refund reductions.' }),
      originalAmount: z.int(),
      principal: z.int(),
      interest: z.int(),
      status: InstallmentStatusSchema,
      attempts: z.int(),
      refundedAmount: z.int().meta({ description: 'Collected money returned to the card by refunds.' }),
      paidAt: IsoDateTime.optional(),
      source: InstallmentPaymentSourceSchema.optional().meta({
        description:
          'On a paid installment: what paid it, `card`, `balance` (your customer balance, in full) or `balance_and_card`.',
      }),
      paidFromBalance: z.int().min(1).optional().meta({
        description: 'What the customer balance paid of this installment (the card paid the rest).',
      }),
      failureCode: z.string().optional(),
      lateFee: z.int().min(1).optional().meta({
        description: 'The late fee charged on this installment (at most one), included in `amount`.',
      }),
    })
    .meta({ id: 'Installment' }),
);

export const CaptureResponse = /* @__PURE__ */ defineSchema(() =>
  z
    .object({
      id: z.string(),
      object: z.literal('capture'),
      orderId: z.string(),
      amount: z.int(),
      currency: CurrencyCodeSchema,
      refundedAmount: z.int(),
      lines: z.array(OrderLineSchema).optional(),
      reference: z.string().optional(),
      shippingInfo: z.array(ShippingInfoResponse).optional(),
      createdAt: IsoDateTime,
      installments: z.array(ScheduledInstallmentResponse.extend({ id: z.string() })),
      disclosure: DisclosureResponse,
    })
    .meta({ id: 'Capture' }),
);

export const RefundLineResponse = /* @__PURE__ */ defineSchema(() =>
  z
    .object({
      captureId: z.string(),
      installmentId: z.string(),
      reducedBy: z.int().meta({
        description:
          'Taken off what the shopper still owes on this installment: principal and the interest on it.',
      }),
      refundedBy: z.int().meta({
        description:
          'Returned to the card from what this installment collected (its interest too once the capture is fully refunded).',
      }),
    })
    .meta({ id: 'RefundLine' }),
);

export const RefundResponse = /* @__PURE__ */ defineSchema(() =>
  z
    .object({
      id: z.string(),
      object: z.literal('refund'),
      orderId: z.string(),
      amount: z.int(),
      currency: CurrencyCodeSchema,
      reducedAmount: z.int().meta({
        description: 'Taken off what the shopper still owes, interest on the refunded principal included.',
      }),
      returnedAmount: z.int().meta({
        description:
          'Returned to the card; a capture refunded in full returns the interest collected on it too.',
      }),
      lines: z.array(RefundLineResponse),
      cardRefunds: z
        .array(
          z.object({
            installmentId: z.string(),
            amount: z.int(),
            status: z.enum(['pending', 'succeeded', 'retrying', 'failed']).meta({ id: 'CardRefundStatus' }),
          }),
        )
        .meta({
          description:
            'Collected money going back to the card, per paid installment. A return the processor refused is `retrying` (collection tries it again on +1, +3 and +7 days), then `succeeded` or `failed` for good.',
        }),
      orderLines: z.array(OrderLineSchema).optional(),
      reference: z.string().optional(),
      createdAt: IsoDateTime,
    })
    .meta({ id: 'Refund' }),
);

export const OrderSummaryResponse = /* @__PURE__ */ defineSchema(() =>
  z
    .object({
      id: z.string(),
      object: z.literal('order'),
      status: OrderStatusSchema,
      livemode: z.boolean(),
      amount: z.int().meta({ description: 'The authorized amount.' }),
      currency: CurrencyCodeSchema,
      merchantReference: z.string(),
      checkoutSessionId: z.string(),
      plan: z.object({
        id: PlanIdSchema,
        termMonths: z.int().optional(),
        aprBps: z.int().optional(),
      }),
      card: z.object({ brand: z.string(), last4: z.string() }),
      customerToken: z.string().optional().meta({
        description: 'A merchant-initiated order: the customer token (`ctok_…`) it was charged under.',
      }),
      subscriptionId: z
        .string()
        .optional()
        .meta({ description: "A subscription's period order: the subscription." }),
      riskDecision: z
        .object({
          id: z.string(),
          decision: z.enum(['approve', 'review']).meta({
            id: 'OrderRiskDecision',
            description: '`review`: the shopper passed a step-up that account monitoring demanded.',
          }),
          score: z.int().min(0),
        })
        .nullable()
        .meta({
          description:
            "Account monitoring's decision when the shopper approved (declined approvals make no order); null for orders from before monitoring.",
        }),
      capturedAmount: z.int(),
      refundedAmount: z.int(),
      outstandingAmount: z.int().meta({
        description:
          'What the unpaid installments (due, charging, failed) still owe, interest and fees included.',
      }),
      lateFeesAmount: z.int().min(0).meta({
        description: 'Late fees charged on the order so far (at most the cap of GET /v1/config `fees`).',
      }),
      remainingAuthorizedAmount: z.int().meta({ description: 'What may still be captured.' }),
      disputed: z.boolean().meta({
        description:
          'True while the shopper disputes the order (GET /v1/disputes): nothing is collected, no fee accrues.',
      }),
      authorizationExpiresAt: IsoDateTime,
      authorizationMaxExpiresAt: IsoDateTime,
      version: z
        .int()
        .meta({ description: 'Increases with every change; equals the sequence of its latest event.' }),
      createdAt: IsoDateTime,
      updatedAt: IsoDateTime,
    })
    .meta({ id: 'OrderSummary' }),
);

export const OrderResponse = /* @__PURE__ */ defineSchema(() =>
  OrderSummaryResponse.extend({
    schedulePreview: z
      .object({ installments: z.array(ScheduledInstallmentResponse), disclosure: DisclosureResponse })
      .meta({ description: 'The schedule of the full amount as if captured when the order was created.' }),
    ...orderDataResponseFields(),
    captures: z.array(CaptureResponse.omit({ installments: true, disclosure: true })),
    installments: z.array(InstallmentResponse),
    refunds: z.array(RefundResponse),
  }).meta({ id: 'Order' }),
);

export const OrderListResponse = /* @__PURE__ */ defineSchema(() =>
  z
    .object({
      object: z.literal('list'),
      data: z.array(OrderSummaryResponse),
      hasMore: z.boolean(),
      nextCursor: z.string().optional().meta({ description: 'Pass as startingAfter for the next page.' }),
    })
    .meta({ id: 'OrderList' }),
);

export type OrderSummaryResponse = z.infer<typeof OrderSummaryResponse>;
export type OrderResponse = z.infer<typeof OrderResponse>;
export type CaptureResponse = z.infer<typeof CaptureResponse>;
export type RefundResponse = z.infer<typeof RefundResponse>;
export type InstallmentResponse = z.infer<typeof InstallmentResponse>;
export type OrderListResponse = z.infer<typeof OrderListResponse>;

/** The `data` of every webhook event (functions/orders/events.ts): the order after the change. */
export const OrderEventData = /* @__PURE__ */ defineSchema(() =>
  OrderSummaryResponse.extend({
    installment: InstallmentResponse.optional().meta({
      description: 'On `installment.*` events: the installment the event is about.',
    }),
  }).meta({ id: 'OrderEventData' }),
);
