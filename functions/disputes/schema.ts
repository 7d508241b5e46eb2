import * as z from 'zod';
import { CurrencyCodeSchema } from '../lib/money.ts';
import { defineSchema, freeText, IsoDateTime, idOf, listQuery, listResponse } from '../lib/schema.ts';

/** Why the shopper disputes the order (Regulation E, 12 CFR 1005.2(m): an unauthorized transfer). */
export const DISPUTE_REASONS = [
  'unauthorized',
  'card_lost_or_stolen',
  'account_takeover',
  'not_recognized',
] as const;
export type DisputeReason = (typeof DISPUTE_REASONS)[number];

/** How an operator resolves a dispute. */
export const DISPUTE_OUTCOMES = ['fraud_confirmed', 'rejected'] as const;
export type DisputeOutcome = (typeof DISPUTE_OUTCOMES)[number];

/** Stripe's dispute statuses, from the merchant's side: `lost` when fraud is confirmed, `won` when rejected. */
export const DISPUTE_STATUSES = ['under_review', 'won', 'lost'] as const;
export type DisputeStatus = (typeof DISPUTE_STATUSES)[number];

export const DisputeReasonSchema = /* @__PURE__ */ defineSchema(() =>
  z.enum(DISPUTE_REASONS).meta({
    id: 'DisputeReason',
    description:
      '`unauthorized`: the shopper did not make this purchase; `card_lost_or_stolen`: made with a lost or stolen card; ' +
      '`account_takeover`: someone else used the account; `not_recognized`: the shopper does not recognize it.',
  }),
);
export const DisputeOutcomeSchema = /* @__PURE__ */ defineSchema(() =>
  z.enum(DISPUTE_OUTCOMES).meta({ id: 'DisputeOutcome' }),
);
export const DisputeStatusSchema = /* @__PURE__ */ defineSchema(() =>
  z.enum(DISPUTE_STATUSES).meta({ id: 'DisputeStatus' }),
);

export const FileDisputeBody = /* @__PURE__ */ defineSchema(() =>
  z
    .strictObject({
      orderId: idOf('order').meta({ description: 'One of your orders.' }),
      reason: DisputeReasonSchema,
    })
    .meta({ id: 'FileDisputeRequest' }),
);

export const ResolveDisputeBody = /* @__PURE__ */ defineSchema(() =>
  z
    .strictObject({
      outcome: DisputeOutcomeSchema,
      note: freeText().trim().min(1).max(1000).meta({
        description: 'Why: sent to the shopper (a rejection says why) and shown to the merchant.',
      }),
    })
    .meta({ id: 'ResolveDisputeRequest' }),
);

export const DisputeEvidenceBody = /* @__PURE__ */ defineSchema(() =>
  z
    .strictObject({
      text: freeText().trim().min(1).max(10_000).meta({
        description: 'Evidence for the investigation (delivery proof, correspondence). No card numbers.',
      }),
    })
    .meta({ id: 'DisputeEvidenceRequest' }),
);

export const DisputeIdParams = /* @__PURE__ */ defineSchema(() => z.object({ id: idOf('dispute') }));

export const ListDisputesQuery = /* @__PURE__ */ defineSchema(() => listQuery());

export const AdminListDisputesQuery = /* @__PURE__ */ defineSchema(() =>
  ListDisputesQuery.extend({ status: DisputeStatusSchema.default('under_review') }),
);

export const DisputeResponse = /* @__PURE__ */ defineSchema(() =>
  z
    .object({
      id: z.string(),
      object: z.literal('dispute'),
      orderId: z.string(),
      merchantReference: z.string(),
      reason: DisputeReasonSchema,
      status: DisputeStatusSchema,
      amount: z
        .int()
        .meta({ description: 'What was captured and not refunded when it was filed (minor units).' }),
      currency: CurrencyCodeSchema,
      evidence: z.array(z.object({ text: z.string(), submittedAt: IsoDateTime })),
      resolution: z
        .object({
          outcome: DisputeOutcomeSchema,
          note: z.string(),
          resolvedAt: IsoDateTime,
          pausedDays: z
            .int()
            .meta({ description: 'Days collection was paused (rejected: the schedule moved by them).' }),
          creditedAmount: z
            .int()
            .meta({ description: 'fraud_confirmed: what was collected and goes back to the card.' }),
          cancelledAmount: z.int().meta({ description: 'fraud_confirmed: what the shopper no longer owes.' }),
        })
        .optional(),
      version: z.int(),
      createdAt: IsoDateTime,
      updatedAt: IsoDateTime,
    })
    .meta({ id: 'Dispute' }),
);
export type DisputeResponse = z.infer<typeof DisputeResponse>;

export const DisputeListResponse = /* @__PURE__ */ defineSchema(() =>
  listResponse(DisputeResponse, 'DisputeList'),
);
export type DisputeListResponse = z.infer<typeof DisputeListResponse>;

/** A dispute as its shopper sees it: without the merchant's evidence (material of the investigation). */
export const MyDisputeResponse = /* @__PURE__ */ defineSchema(() =>
  DisputeResponse.omit({ evidence: true }).meta({ id: 'MyDispute' }),
);
export type MyDisputeResponse = z.infer<typeof MyDisputeResponse>;

export const MyDisputeListResponse = /* @__PURE__ */ defineSchema(() =>
  listResponse(MyDisputeResponse, 'MyDisputeList'),
);
export type MyDisputeListResponse = z.infer<typeof MyDisputeListResponse>;
