import * as z from 'zod';
import { PlanCatalogueSchema } from '../installments/terms.ts';
import { defineSchema, freeText, IsoDateTime, idOf, panFree } from '../lib/schema.ts';

export const MerchantStatus = /* @__PURE__ */ defineSchema(() =>
  z.enum(['pending_review', 'active', 'suspended', 'rejected']).meta({
    id: 'MerchantStatus',
    description:
      'Compliance state: every merchant starts `pending_review`; a KYB decision or an operator moves it to `active` or `rejected`; only `active` takes payments.',
  }),
);
export type MerchantStatus = z.infer<typeof MerchantStatus>;

/** What a KYB (know your business) check looks at: the registered legal entity. */
export const BusinessDetails = /* @__PURE__ */ defineSchema(() =>
  z
    .strictObject({
      legalName: freeText().trim().min(1).max(200),
      registrationNumber: freeText()
        .trim()
        .regex(/^[A-Za-z0-9-]{4,32}$/, 'letters, digits and dashes, 4 to 32')
        .meta({
          description:
            'Company registration number. Sandbox: ending `0000` is rejected, `1111` goes to manual review.',
          example: '12345678',
        }),
      country: freeText()
        .regex(/^[A-Z]{2}$/, 'an ISO 3166-1 alpha-2 code')
        .meta({ description: 'ISO 3166-1 alpha-2.', example: 'US' }),
    })
    .meta({ id: 'BusinessDetails' }),
);
export type BusinessDetails = z.infer<typeof BusinessDetails>;

export const CreateMerchantBody = /* @__PURE__ */ defineSchema(() =>
  z
    .strictObject({
      name: freeText().trim().min(1).max(100),
      webhookUrl: panFree(z.url({ protocol: /^https?$/ }).max(2048)).optional(),
      business: BusinessDetails.optional().meta({
        description: 'The legal entity; when given, its KYB check starts at once.',
      }),
    })
    .meta({ id: 'CreateMerchantRequest' }),
);
export type CreateMerchantBody = z.infer<typeof CreateMerchantBody>;

export const MerchantIdParams = /* @__PURE__ */ defineSchema(() => z.object({ id: idOf('merchant') }));

export const KybStatus = /* @__PURE__ */ defineSchema(() =>
  z.enum(['pending', 'in_review', 'approved', 'rejected']).meta({ id: 'KybStatus' }),
);
export type KybStatus = z.infer<typeof KybStatus>;

export const KybCheckSummary = /* @__PURE__ */ defineSchema(() =>
  z
    .object({
      id: z.string(),
      status: KybStatus,
      provider: z.string(),
      createdAt: IsoDateTime,
      decidedAt: IsoDateTime.optional(),
    })
    .meta({ id: 'KybCheck' }),
);

export const MerchantResponse = /* @__PURE__ */ defineSchema(() =>
  z
    .object({
      id: z.string(),
      object: z.literal('merchant'),
      name: z.string(),
      status: MerchantStatus,
      statusReason: z.string().optional(),
      kyb: KybCheckSummary.optional(),
      webhookUrl: z.string().optional(),
      apiKeyLast4: z.string(),
      createdAt: IsoDateTime,
      updatedAt: IsoDateTime,
    })
    .meta({ id: 'Merchant' }),
);
export type MerchantResponse = z.infer<typeof MerchantResponse>;

/** The secret key is in this response and nowhere else, ever. */
export const MerchantWithKeyResponse = /* @__PURE__ */ defineSchema(() =>
  MerchantResponse.extend({
    apiKey: z.string().meta({ description: 'Secret API key. Shown once; stored only as a SHA-256 hash.' }),
    usageKey: z
      .string()
      .optional()
      .meta({
        description:
          'Usage key, sent as the `x-api-key` header with every merchant request where merchant routes require ' +
          'it (deployed stages; `npm start`): it puts the request on your own throttle and quota. Shown once ' +
          'with the secret key, replaced when the secret key is rotated. It does not authenticate: the secret key does.',
      }),
  }).meta({ id: 'MerchantWithKey' }),
);

export const RejectMerchantBody = /* @__PURE__ */ defineSchema(() =>
  z.strictObject({ reason: freeText().trim().min(1).max(500) }).meta({ id: 'RejectMerchantRequest' }),
);

export const StartKybBody = /* @__PURE__ */ defineSchema(() =>
  z.strictObject({ business: BusinessDetails }).meta({ id: 'StartKybRequest' }),
);

export const ListMerchantsQuery = /* @__PURE__ */ defineSchema(() =>
  z.strictObject({
    status: MerchantStatus.optional(),
    limit: z.coerce.number().int().min(1).max(100).default(20),
    startingAfter: idOf('merchant').optional(),
  }),
);

export const MerchantListResponse = /* @__PURE__ */ defineSchema(() =>
  z
    .object({ object: z.literal('list'), data: z.array(MerchantResponse), hasMore: z.boolean() })
    .meta({ id: 'MerchantList' }),
);

/** The body a KYB provider posts with its decision (signed: `Kyb-Signature: t=<unix>,v1=<hex>`). */
export const KybCallbackBody = /* @__PURE__ */ defineSchema(() =>
  z
    .strictObject({
      id: freeText()
        .regex(/^kybevt_[A-Za-z0-9]{8,64}$/)
        .meta({
          description: "The provider's callback id (a replay is refused).",
          example: 'kybevt_4f9c2a1b7e3d5f60',
        }),
      checkId: idOf('kybCheck'),
      decision: z.enum(['approved', 'rejected', 'review']).meta({ id: 'KybDecision' }),
      reasons: z.array(freeText().max(200)).max(10).default([]),
      created: IsoDateTime,
    })
    .meta({ id: 'KybCallback' }),
);
export type KybCallbackBody = z.infer<typeof KybCallbackBody>;

export const KybCallbackResponse = /* @__PURE__ */ defineSchema(() =>
  z.object({ received: z.literal(true) }).meta({ id: 'KybCallbackReceived' }),
);

export const HealthResponse = /* @__PURE__ */ defineSchema(() =>
  z.object({ status: z.literal('ok'), time: IsoDateTime }).meta({ id: 'Health' }),
);

export const ConfigResponse = /* @__PURE__ */ defineSchema(() =>
  PlanCatalogueSchema.safeExtend({ object: z.literal('config') }).meta({
    id: 'Config',
  }),
);
