/** zod schemas of credit applications. */
import * as z from 'zod';
import { CurrencyCodeSchema, MinorUnitsSchema } from '../lib/money.ts';
import { defineSchema, IsoDateTime } from '../lib/schema.ts';

const Income = () =>
  z.int().min(0).max(1_000_000_000_000).meta({ description: 'Minor units of `currency` per month.' });

export const CreditApplicationBody = /* @__PURE__ */ defineSchema(() =>
  z
    .strictObject({
      amount: MinorUnitsSchema,
      currency: CurrencyCodeSchema,
      months: z.int().min(3).max(36).meta({ description: 'The repayment term, 3 to 36 months.' }),
      monthlyIncome: Income(),
      monthlyObligations: Income(),
    })
    .meta({ id: 'CreditApplicationRequest' }),
);
export type CreditApplicationBody = z.infer<typeof CreditApplicationBody>;

export const CreditApplicationResponse = /* @__PURE__ */ defineSchema(() =>
  z
    .object({
      object: z.literal('credit_application'),
      id: z.string(),
      decision: z.enum(['approved', 'counter_offer', 'declined']).meta({ id: 'CreditDecision' }),
      amount: z.int().meta({ description: 'What was asked for.' }),
      currency: CurrencyCodeSchema,
      months: z.int(),
      limit: z
        .int()
        .meta({ description: 'The limit granted (the amount, or the counter-offer); 0 when declined.' }),
      reasons: z.array(z.string()),
      createdAt: IsoDateTime,
    })
    .meta({ id: 'CreditApplication' }),
);
export type CreditApplicationResponse = z.infer<typeof CreditApplicationResponse>;
