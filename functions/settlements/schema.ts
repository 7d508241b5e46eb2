import * as z from 'zod';
import { CurrencyCodeSchema } from '../lib/money.ts';
import { defineSchema, IsoDateTime, idOf } from '../lib/schema.ts';

export const PayoutStatus = /* @__PURE__ */ defineSchema(() =>
  z.enum(['pending', 'paid']).meta({
    id: 'PayoutStatus',
    description: '`pending` once created, `paid` when the payout provider accepted the transfer.',
  }),
);

export const PayoutLineType = /* @__PURE__ */ defineSchema(() =>
  z.enum(['capture', 'refund', 'dispute_liability']).meta({ id: 'PayoutLineType' }),
);

const Signed = /* @__PURE__ */ defineSchema(() => z.int().meta({ description: 'Signed minor units.' }));

export const PayoutLine = /* @__PURE__ */ defineSchema(() =>
  z
    .object({
      entryId: z.string().meta({ description: 'The capture, refund or dispute id (one line each, ever).' }),
      type: PayoutLineType,
      orderId: z.string().optional(),
      captureId: z.string().optional(),
      refundId: z.string().optional(),
      disputeId: z.string().optional(),
      occurredAt: IsoDateTime,
      gross: Signed,
      fee: Signed,
      net: Signed.meta({ description: 'gross − fee; the lines’ nets sum exactly to the payout amount.' }),
    })
    .meta({ id: 'PayoutLine' }),
);
export type PayoutLine = z.infer<typeof PayoutLine>;

export const PayoutResponse = /* @__PURE__ */ defineSchema(() =>
  z
    .object({
      id: z.string(),
      object: z.literal('payout'),
      status: PayoutStatus,
      amount: z.int().min(1),
      currency: CurrencyCodeSchema,
      payoutDate: z.iso.date().meta({ description: 'The merchant-local business day it settles.' }),
      lineCount: z.int().min(0),
      createdAt: IsoDateTime,
      paidAt: IsoDateTime.optional(),
      providerReference: z.string().optional(),
    })
    .meta({ id: 'Payout' }),
);
export type PayoutResponse = z.infer<typeof PayoutResponse>;

export const PayoutWithReportResponse = /* @__PURE__ */ defineSchema(() =>
  PayoutResponse.extend({ lines: z.array(PayoutLine) }).meta({ id: 'PayoutWithReport' }),
);

export const PayoutListResponse = /* @__PURE__ */ defineSchema(() =>
  z
    .object({ object: z.literal('list'), data: z.array(PayoutResponse), hasMore: z.boolean() })
    .meta({ id: 'PayoutList' }),
);

export const PayoutIdParams = /* @__PURE__ */ defineSchema(() => z.strictObject({ id: idOf('payout') }));

export const ListPayoutsQuery = /* @__PURE__ */ defineSchema(() =>
  z.strictObject({
    limit: z.coerce.number().int().min(1).max(100).default(20),
    startingAfter: idOf('payout').optional(),
  }),
);

export const RunPayoutsBody = /* @__PURE__ */ defineSchema(() =>
  z
    .strictObject({
      asOf: z.iso
        .date()
        .meta({ description: 'The business day to pay out, for every merchant whatever its time zone.' }),
    })
    .meta({ id: 'RunPayoutsRequest' }),
);

export const PayoutRunResponse = /* @__PURE__ */ defineSchema(() =>
  z
    .object({
      object: z.literal('payout_run'),
      accounts: z.int().min(0),
      paid: z.int().min(0).meta({ description: 'Payouts created and paid by this run.' }),
      resumed: z.int().min(0).meta({ description: 'Payouts of an earlier, interrupted run completed now.' }),
      alreadyPaid: z.int().min(0).meta({ description: 'Accounts whose payout for the day exists already.' }),
      carriedNegative: z
        .int()
        .min(0)
        .meta({ description: 'Accounts with a negative balance, carried over.' }),
      nothingToPay: z.int().min(0),
      failed: z.int().min(0),
    })
    .meta({ id: 'PayoutRun' }),
);
export type PayoutRunResponse = z.infer<typeof PayoutRunResponse>;
