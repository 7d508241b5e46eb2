import * as z from 'zod';
import { AgreementCadenceSchema } from '../lib/agreement-terms.ts';
import { CurrencyCodeSchema, MinorUnitsSchema } from '../lib/money.ts';
import { defineSchema, freeText, IsoDateTime, idOf, listQuery, listResponse } from '../lib/schema.ts';

export const AgreementParams = /* @__PURE__ */ defineSchema(() =>
  z.strictObject({ id: idOf('customerToken') }),
);

export const AgreementStatusSchema = /* @__PURE__ */ defineSchema(() =>
  z.enum(['active', 'revoked']).meta({
    id: 'CustomerTokenStatus',
    description: '`revoked`: the shopper withdrew the agreement; the token charges nothing more.',
  }),
);

export const AgreementResponse = /* @__PURE__ */ defineSchema(() =>
  z
    .object({
      id: idOf('customerToken').meta({
        description: 'The customer token: the agreement, and what the merchant charges with.',
      }),
      object: z.literal('customer_token'),
      status: AgreementStatusSchema,
      merchantId: z.string(),
      livemode: z.boolean(),
      purpose: z.string(),
      maxAmount: z.int().meta({ description: 'The most one charge may be, minor units.' }),
      currency: CurrencyCodeSchema,
      cadence: AgreementCadenceSchema,
      card: z.object({ brand: z.string(), last4: z.string() }),
      checkoutSessionId: z.string(),
      revokedAt: IsoDateTime.optional(),
      createdAt: IsoDateTime,
      updatedAt: IsoDateTime,
    })
    .meta({ id: 'CustomerToken' }),
);
export type AgreementResponse = z.infer<typeof AgreementResponse>;

export const AgreementListResponse = /* @__PURE__ */ defineSchema(() =>
  listResponse(AgreementResponse, 'CustomerTokenList'),
);
export type AgreementListResponse = z.infer<typeof AgreementListResponse>;

export const ListAgreementsQuery = /* @__PURE__ */ defineSchema(() => listQuery());

/** A session's client secret, as checkout defines it (its id, `_secret_`, 32 base64url characters). */
const CLIENT_TOKEN = /^cs_[0-9A-HJKMNP-TV-Z]{26}_secret_[A-Za-z0-9_-]{32}$/;

export const ApproveAgreementBody = /* @__PURE__ */ defineSchema(() =>
  z
    .strictObject({
      clientToken: z
        .string()
        .regex(CLIENT_TOKEN, { message: 'must be a checkout session clientToken' })
        .meta({
          description: "The session's clientToken: only its holder may approve what it asks.",
          example: 'cs_01JNJ3Y7ZQ8M4N5P6Q7R8S9T0V_secret_3q2-7wEAAAAAAAAAAAAAAAAAAAAAAAAA',
        }),
      cardToken: idOf('token').meta({ description: 'The saved card the merchant may charge (tok_…).' }),
    })
    .meta({ id: 'ApproveAgreementRequest' }),
);
export type ApproveAgreementBody = z.infer<typeof ApproveAgreementBody>;

export const CheckoutSessionAgreementParams = /* @__PURE__ */ defineSchema(() =>
  z.strictObject({ id: idOf('checkoutSession') }),
);

export const ChangeAgreementCardBody = /* @__PURE__ */ defineSchema(() =>
  z
    .strictObject({ cardToken: idOf('token').meta({ description: 'One of your saved cards (tok_…).' }) })
    .meta({ id: 'ChangeAgreementCardRequest' }),
);

export const CustomerTokenOrderBody = /* @__PURE__ */ defineSchema(() =>
  z
    .strictObject({
      amount: MinorUnitsSchema.meta({ description: "Minor units, at most the agreement's maxAmount." }),
      currency: CurrencyCodeSchema,
      merchantReference: freeText().trim().min(1).max(255),
    })
    .meta({ id: 'CustomerTokenOrderRequest' }),
);
export type CustomerTokenOrderBody = z.infer<typeof CustomerTokenOrderBody>;
