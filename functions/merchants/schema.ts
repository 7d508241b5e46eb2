import * as z from 'zod';
import { PlanCatalogueSchema } from '../installments/terms.ts';
import { defineSchema, freeText, IsoDateTime, idOf, panFree } from '../lib/schema.ts';

export const MerchantStatus = /* @__PURE__ */ defineSchema(() => z.enum(['active', 'suspended']));
export type MerchantStatus = z.infer<typeof MerchantStatus>;

export const CreateMerchantBody = /* @__PURE__ */ defineSchema(() =>
  z
    .strictObject({
      name: freeText().trim().min(1).max(100),
      webhookUrl: panFree(z.url({ protocol: /^https?$/ }).max(2048)).optional(),
    })
    .meta({ id: 'CreateMerchantRequest' }),
);
export type CreateMerchantBody = z.infer<typeof CreateMerchantBody>;

export const MerchantIdParams = /* @__PURE__ */ defineSchema(() => z.object({ id: idOf('merchant') }));

export const MerchantResponse = /* @__PURE__ */ defineSchema(() =>
  z
    .object({
      id: z.string(),
      object: z.literal('merchant'),
      name: z.string(),
      status: MerchantStatus,
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
  }).meta({ id: 'MerchantWithKey' }),
);

export const HealthResponse = /* @__PURE__ */ defineSchema(() =>
  z.object({ status: z.literal('ok'), time: IsoDateTime }).meta({ id: 'Health' }),
);

export const ConfigResponse = /* @__PURE__ */ defineSchema(() =>
  PlanCatalogueSchema.safeExtend({ object: z.literal('config') }).meta({
    id: 'Config',
  }),
);
