import * as z from 'zod';
import { BILLING_INTERVALS } from '../installments/terms.ts';
import { CurrencyCodeSchema, MinorUnitsSchema } from '../lib/money.ts';
import { defineSchema, freeText, IsoDateTime, idOf, listQuery, listResponse } from '../lib/schema.ts';

const IsoDay = /* @__PURE__ */ defineSchema(() =>
  z.iso.date().meta({ description: 'A calendar day, YYYY-MM-DD (UTC).' }),
);

export const BillingIntervalSchema = /* @__PURE__ */ defineSchema(() =>
  z.enum(BILLING_INTERVALS).meta({ id: 'BillingInterval' }),
);

export const SubscriptionStatusSchema = /* @__PURE__ */ defineSchema(() =>
  z.enum(['active', 'past_due', 'paused', 'canceled']).meta({
    id: 'SubscriptionStatus',
    description:
      "`past_due`: the latest period's payment failed after dunning (or for good); it is `active` again once that period is paid (the shopper sets another card). `paused`: not billed until resumed. `canceled`: over.",
  }),
);

export const CreateSubscriptionBody = /* @__PURE__ */ defineSchema(() =>
  z
    .strictObject({
      customerToken: idOf('customerToken').meta({
        description: "The shopper's agreement with you (from the checkout session that asked for it).",
      }),
      amount: MinorUnitsSchema.meta({
        description: "Each period's amount, at most the agreement's maxAmount.",
      }),
      currency: CurrencyCodeSchema,
      interval: BillingIntervalSchema,
      intervalCount: z.int().min(1).max(52).default(1).meta({
        description: 'Bill every `intervalCount` intervals (1–52); the agreed cadence must admit it.',
      }),
      startDate: IsoDay.optional().meta({
        description: 'The first period starts this day (default today; today to 365 days ahead).',
      }),
      trialDays: z.int().min(0).max(730).default(0).meta({
        description: 'Days free before the first charge: billing starts on startDate + trialDays.',
      }),
      merchantReference: freeText().trim().min(1).max(255).optional(),
    })
    .meta({ id: 'CreateSubscriptionRequest' }),
);
export type CreateSubscriptionBody = z.infer<typeof CreateSubscriptionBody>;

export const SubscriptionParams = /* @__PURE__ */ defineSchema(() =>
  z.strictObject({ id: idOf('subscription') }),
);

export const CancelSubscriptionBody = /* @__PURE__ */ defineSchema(() =>
  z
    .strictObject({
      atPeriodEnd: z.boolean().default(false).meta({
        description:
          'true: no further period is billed, the subscription ends at its next billing date; false: now.',
      }),
    })
    .meta({ id: 'CancelSubscriptionRequest' }),
);

export const ChangeSubscriptionAmountBody = /* @__PURE__ */ defineSchema(() =>
  z
    .strictObject({
      amount: MinorUnitsSchema.meta({
        description: "The new amount per period, at most the agreement's maxAmount.",
      }),
    })
    .meta({ id: 'ChangeSubscriptionAmountRequest' }),
);

export const ListSubscriptionsQuery = /* @__PURE__ */ defineSchema(() => listQuery());

export const SubscriptionResponse = /* @__PURE__ */ defineSchema(() =>
  z
    .object({
      id: idOf('subscription'),
      object: z.literal('subscription'),
      status: SubscriptionStatusSchema,
      livemode: z.boolean(),
      customerToken: z.string(),
      merchantReference: z.string().optional(),
      amount: z.int(),
      currency: CurrencyCodeSchema,
      interval: BillingIntervalSchema,
      intervalCount: z.int(),
      startDate: IsoDay,
      trialEnd: IsoDay.optional(),
      billingAnchor: IsoDay.meta({
        description:
          'The first billing day; every period is dated from it (a 31st bills on the last day of shorter months).',
      }),
      periodsBilled: z.int().min(0),
      nextBillingDate: IsoDay.nullable().meta({ description: 'null while paused, canceled, or ending.' }),
      pendingAmount: z
        .object({ amount: z.int(), effectiveDate: IsoDay })
        .optional()
        .meta({ description: 'A changed amount the shopper was told of: billed from effectiveDate on.' }),
      cancelAtPeriodEnd: z.boolean(),
      endsOn: IsoDay.optional().meta({ description: 'Canceled at period end: the day it ends.' }),
      canceledAt: IsoDateTime.optional(),
      cancelReason: z
        .enum(['requested', 'agreement_revoked'])
        .optional()
        .meta({ id: 'SubscriptionCancelReason' }),
      latestOrderId: z.string().optional(),
      version: z.int(),
      createdAt: IsoDateTime,
      updatedAt: IsoDateTime,
    })
    .meta({ id: 'Subscription' }),
);
export type SubscriptionResponse = z.infer<typeof SubscriptionResponse>;

export const SubscriptionListResponse = /* @__PURE__ */ defineSchema(() =>
  listResponse(SubscriptionResponse, 'SubscriptionList'),
);
export type SubscriptionListResponse = z.infer<typeof SubscriptionListResponse>;
