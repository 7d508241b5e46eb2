import * as z from 'zod';
import { defineSchema, freeText, IsoDateTime, idOf } from '../lib/schema.ts';

export const FlagParams = /* @__PURE__ */ defineSchema(() => z.strictObject({ id: idOf('flag') }));

export const FlagStatusSchema = /* @__PURE__ */ defineSchema(() =>
  z.enum(['open', 'resolved']).meta({ id: 'FlagStatus' }),
);

export const FlagListQuery = /* @__PURE__ */ defineSchema(() =>
  z.strictObject({
    status: FlagStatusSchema.default('open'),
    limit: z.coerce.number().int().min(1).max(100).default(50),
    /** The `next` of the previous page. */
    before: freeText().max(100).optional(),
  }),
);

const FlagResolutionSchema = /* @__PURE__ */ defineSchema(() =>
  z.enum(['confirmed_fraud', 'false_positive', 'other']).meta({ id: 'FlagResolution' }),
);

export const ResolveFlagBody = /* @__PURE__ */ defineSchema(() =>
  z
    .strictObject({
      resolution: FlagResolutionSchema,
      note: freeText().trim().max(1000).optional(),
    })
    .meta({ id: 'ResolveFlagRequest' }),
);

export const FlagResponse = /* @__PURE__ */ defineSchema(() =>
  z
    .object({
      id: idOf('flag'),
      object: z.literal('flag'),
      status: FlagStatusSchema,
      severity: z.enum(['low', 'medium', 'high']).meta({ id: 'FlagSeverity' }),
      rule: z.string().meta({ description: 'The rules or detector that raised it (comma-separated).' }),
      customerId: z.string().optional(),
      evidence: z.record(z.string(), z.union([z.string(), z.number()])),
      createdAt: IsoDateTime,
      resolvedAt: IsoDateTime.optional(),
      resolution: FlagResolutionSchema.optional(),
      resolvedBy: z.string().optional(),
      note: z.string().optional(),
    })
    .meta({ id: 'Flag' }),
);
export type FlagResponse = z.infer<typeof FlagResponse>;

export const FlagListResponse = /* @__PURE__ */ defineSchema(() =>
  z
    .object({
      object: z.literal('list'),
      data: z.array(FlagResponse),
      next: z.string().optional().meta({ description: 'Pass as `before` for the next (older) page.' }),
    })
    .meta({ id: 'FlagList' }),
);
