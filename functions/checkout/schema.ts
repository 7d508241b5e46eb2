import * as z from 'zod';
import { DisclosureResponse, PlanIdSchema, ScheduledInstallmentResponse } from '../installments/terms.ts';
import { AgreementTermsSchema } from '../lib/agreement-terms.ts';
import { idPattern } from '../lib/ids.ts';
import { CurrencyCodeSchema, MinorUnitsSchema } from '../lib/money.ts';
import { orderDataFields, orderDataResponseFields, withOrderDataRule } from '../lib/order-lines.ts';
import { defineSchema, freeText, IsoDateTime, idOf } from '../lib/schema.ts';

export const CreateCheckoutSessionBody = /* @__PURE__ */ defineSchema(() =>
  withOrderDataRule(
    z.strictObject({
      amount: MinorUnitsSchema.meta({ description: 'Integer minor units (1050 = 10.50 USD).' }),
      currency: CurrencyCodeSchema,
      merchantReference: freeText()
        .trim()
        .min(1)
        .max(255)
        .meta({ description: "The merchant's own order reference, echoed on the order and its events." }),
      plans: z
        .array(PlanIdSchema)
        .min(1)
        .max(8)
        .refine((plans) => new Set(plans).size === plans.length, { error: 'plans must not repeat' })
        .optional()
        .meta({
          uniqueItems: true,
          description:
            'Plans to offer, each at most once; default every offered plan. Only those whose limits admit the amount are kept.',
        }),
      successUrl: ReturnUrl().optional().meta({
        description:
          'Where the hosted page sends the shopper once they approve, with `?checkout_session_id=cs_…` added.',
      }),
      cancelUrl: ReturnUrl().optional().meta({
        description: 'Where the hosted page sends the shopper who cancels (or whose session is over).',
      }),
      agreement: AgreementTermsSchema.optional().meta({
        description:
          'Ask the shopper to also approve a recurring agreement with you (a customer token, `ctok_…`): read it back as `customerToken` on `GET /v1/checkout-sessions/{id}` once approved.',
      }),
      ...orderDataFields(),
    }),
  ).meta({ id: 'CreateCheckoutSessionRequest' }),
);
export type CreateCheckoutSessionBody = z.infer<typeof CreateCheckoutSessionBody>;

/** A merchant's return URL: https (loopback http in the local sandbox; checked in session.ts). */
function ReturnUrl() {
  return freeText().max(2048).meta({ format: 'uri', example: 'https://shop.example/checkout/done' });
}

export const CheckoutSessionParams = /* @__PURE__ */ defineSchema(() =>
  z.object({ id: idOf('checkoutSession') }),
);

export const CheckoutSessionStatus = /* @__PURE__ */ defineSchema(() =>
  z.enum(['open', 'completed']).meta({ id: 'CheckoutSessionStatus' }),
);

export const CheckoutSessionResponse = /* @__PURE__ */ defineSchema(() =>
  z
    .object({
      id: z.string(),
      object: z.literal('checkout_session'),
      clientToken: z.string().meta({
        description: "Hand this to the shopper's app to open the session; it is shown in this response only.",
      }),
      status: CheckoutSessionStatus,
      amount: z.int(),
      currency: CurrencyCodeSchema,
      merchantReference: z.string(),
      plans: z.array(PlanIdSchema),
      livemode: z.boolean(),
      expiresAt: IsoDateTime,
      createdAt: IsoDateTime,
      url: z.string().meta({
        description:
          'The hosted checkout page: redirect the shopper here. It carries the clientToken, so it is shown in this response only.',
      }),
      successUrl: z.string().optional(),
      cancelUrl: z.string().optional(),
      agreement: AgreementTermsSchema.optional().meta({ description: 'The recurring agreement asked for.' }),
      ...orderDataResponseFields(),
    })
    .meta({ id: 'CheckoutSession' }),
);
export type CheckoutSessionResponse = z.infer<typeof CheckoutSessionResponse>;

export const CheckoutSessionApproval = /* @__PURE__ */ defineSchema(() =>
  z
    .object({
      authorizationToken: z.string().meta({
        description: 'Redeem it with `POST /v1/orders` (once, before `expiresAt`), as from any approval.',
      }),
      expiresAt: IsoDateTime,
      plan: PlanIdSchema,
      termMonths: z.int().optional(),
    })
    .meta({ id: 'CheckoutSessionApproval' }),
);

export const CheckoutSessionDetails = /* @__PURE__ */ defineSchema(() =>
  CheckoutSessionResponse.omit({ clientToken: true, url: true })
    .extend({
      approvedAt: IsoDateTime.optional(),
      approval: CheckoutSessionApproval.nullable().meta({
        description: "The shopper's latest approval while it is unused and unexpired; else null.",
      }),
      orderId: z.string().optional(),
      customerToken: z.string().optional().meta({
        description:
          'The customer token (`ctok_…`) of the recurring agreement the shopper approved on this session, once approved.',
      }),
    })
    .meta({ id: 'CheckoutSessionDetails' }),
);
export type CheckoutSessionDetails = z.infer<typeof CheckoutSessionDetails>;

/**
 * A session's client secret: its id, `_secret_`, then 32 base64url characters (192 random bits;
 * minted in session.ts). Only its SHA-256 is stored; the pattern also keeps free text out.
 */
const CLIENT_TOKEN_PATTERN = new RegExp(
  `^${idPattern('checkoutSession').source.slice(1, -1)}_secret_[A-Za-z0-9_-]{32}$`,
);

export const AuthorizeCheckoutBody = /* @__PURE__ */ defineSchema(() =>
  z
    .strictObject({
      clientToken: z
        .string()
        .regex(CLIENT_TOKEN_PATTERN, { message: 'must be a checkout session clientToken' })
        .meta({
          description:
            "The session's clientToken, as the merchant handed it to the shopper's app: only its holder may approve the session.",
          example: 'cs_01JNJ3Y7ZQ8M4N5P6Q7R8S9T0V_secret_3q2-7wEAAAAAAAAAAAAAAAAAAAAAAAAA',
        }),
      plan: PlanIdSchema,
      cardToken: idOf('token').meta({ description: "A saved card of the shopper's (tok_…)." }),
      termMonths: z
        .int()
        .min(1)
        .max(600)
        .optional()
        .meta({ description: 'Required for the monthly plan (3–36); not allowed otherwise.' }),
    })
    .meta({
      id: 'AuthorizeCheckoutRequest',
      // The use case's rule, stated for the document: termMonths comes with the monthly plan only.
      oneOf: [
        { properties: { plan: { const: 'monthly' } }, required: ['termMonths'] },
        {
          properties: { plan: { enum: PlanIdSchema.options.filter((p) => p !== 'monthly') } },
          not: { required: ['termMonths'] },
        },
      ],
    }),
);
export type AuthorizeCheckoutBody = z.infer<typeof AuthorizeCheckoutBody>;

export const SchedulePreviewResponse = /* @__PURE__ */ defineSchema(() =>
  z
    .object({
      installments: z.array(ScheduledInstallmentResponse),
      disclosure: DisclosureResponse,
    })
    .meta({
      id: 'SchedulePreview',
      description: 'The schedule as if captured in full today; real due dates follow each capture.',
    }),
);

export const CheckoutAuthorizationResponse = /* @__PURE__ */ defineSchema(() =>
  z
    .object({
      object: z.literal('checkout_authorization'),
      authorizationToken: z.string().meta({
        description: 'Give it to the merchant, who turns it into an order. Valid 60 minutes, usable once.',
      }),
      expiresAt: IsoDateTime,
      checkoutSessionId: z.string(),
      plan: PlanIdSchema,
      termMonths: z.int().optional(),
      amount: z.int(),
      currency: CurrencyCodeSchema,
      schedulePreview: SchedulePreviewResponse,
    })
    .meta({ id: 'CheckoutAuthorization' }),
);
export type CheckoutAuthorizationResponse = z.infer<typeof CheckoutAuthorizationResponse>;
