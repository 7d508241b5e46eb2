/**
 * The terms of a recurring agreement (a customer token): what the merchant asks for at checkout and
 * what the shopper approves. A value type of the kernel, like ./order-lines.ts: checkout carries the
 * request on its session and the agreements capability stores the approval, so the rule exists once.
 *
 * - `purpose`: what the merchant will charge for, shown to the shopper (free text, no card number);
 * - `maxAmount`: the most one charge may be, integer minor units of the session's currency;
 * - `cadence`: `weekly`, `monthly`, `yearly` (a subscription on that interval), or `on_demand`
 *   (charges when the merchant needs, e.g. top-ups), each within `maxAmount`.
 * Card-network rules for merchant-initiated transactions (Visa/Mastercard "stored credential"
 * framework) require exactly this consent: the purpose, the amount or its limit, and the timing.
 */
import * as z from 'zod';
import { MinorUnitsSchema } from './money.ts';
import { defineSchema, freeText } from './schema.ts';

export const AGREEMENT_CADENCES = ['on_demand', 'weekly', 'monthly', 'yearly'] as const;
export type AgreementCadence = (typeof AGREEMENT_CADENCES)[number];

export const AgreementCadenceSchema = /* @__PURE__ */ defineSchema(() =>
  z.enum(AGREEMENT_CADENCES).meta({
    id: 'AgreementCadence',
    description:
      '`weekly`, `monthly`, `yearly`: subscriptions on that interval; `on_demand`: charges when the merchant needs, any interval.',
  }),
);

export const AgreementTermsSchema = /* @__PURE__ */ defineSchema(() =>
  z
    .strictObject({
      purpose: freeText().trim().min(1).max(140).meta({
        description:
          'What the merchant will charge for, as the shopper sees it ("Coffee club, 1 bag a month").',
      }),
      maxAmount: MinorUnitsSchema.meta({
        description: 'The most one charge may be, integer minor units of the session currency.',
      }),
      cadence: AgreementCadenceSchema,
    })
    .meta({ id: 'AgreementTerms' }),
);
export type AgreementTerms = z.infer<typeof AgreementTermsSchema>;
