import * as z from 'zod';
import { defineSchema, IsoDateTime, idOf } from '../lib/schema.ts';
import { type ClaimedCharge, SKIP_REASONS } from '../orders/collection-face.ts';

/** A calendar day, YYYY-MM-DD, that exists (2026-02-30 does not). */
export const IsoDay = /* @__PURE__ */ defineSchema(() =>
  z.iso.date().meta({ description: 'A calendar day, YYYY-MM-DD (UTC business day).' }),
);

export const RunCollectionBody = /* @__PURE__ */ defineSchema(() =>
  z
    .strictObject({
      asOf: IsoDay.meta({
        description:
          'Collect every installment due on or before this day (earlier unpaid days included). At most one day after today and 366 days before it.',
      }),
    })
    .meta({ id: 'RunCollectionRequest' }),
);
export type RunCollectionBody = z.infer<typeof RunCollectionBody>;

export const CollectionRunParams = /* @__PURE__ */ defineSchema(() =>
  z.strictObject({ runId: idOf('collectionRun') }),
);

const Count = /* @__PURE__ */ defineSchema(() => z.int().min(0));

export const CollectionRunResponse = /* @__PURE__ */ defineSchema(() =>
  z
    .object({
      id: idOf('collectionRun'),
      object: z.literal('collection_run'),
      asOf: IsoDay,
      status: z.enum(['running', 'completed']).meta({
        id: 'CollectionRunStatus',
        description:
          '`running` while its queues drain (AWS; the counts grow as the workers report); `completed` once every message it sent is done (a message dead-lettered after its last delivery counts done, and in `errors`). A local run drains synchronously and answers `completed`.',
      }),
      startedAt: IsoDateTime,
      finishedAt: IsoDateTime.optional(),
      durationMs: Count.optional(),
      days: z.array(IsoDay).meta({ description: 'The days whose due index still held installments.' }),
      messages: z
        .object({
          shards: z.object({ sent: Count, done: Count }),
          charges: z.object({ sent: Count, done: Count }),
        })
        .meta({
          description:
            "The run's progress: (day, shard) messages the dispatcher sent and the shard workers finished; installment messages the shard workers sent and the chargers finished. The run completes when both are done.",
        }),
      due: Count.meta({ description: 'Installments found due (read from the due index).' }),
      charged: Count.meta({ description: 'Charges sent to the processor.' }),
      paid: Count.meta({
        description: 'Installments paid, whatever paid them (the two counts below included).',
      }),
      paidFromBalance: Count.meta({
        description: "Installments paid in full from the customer's balance: no card was charged.",
      }),
      paidBalanceAndCard: Count.meta({
        description: "Installments paid partly from the customer's balance, the card charged the rest.",
      }),
      failed: z.object({ soft: Count, hard: Count }),
      retried: Count.meta({ description: 'Soft declines scheduled for another attempt (dunning).' }),
      reconciled: Count.meta({
        description: 'Charges stuck in `charging` settled from the processor record.',
      }),
      skipped: z.object({
        total: Count,
        reasons: z.partialRecord(z.enum(SKIP_REASONS).meta({ id: 'CollectionSkipReason' }), Count),
      }),
      cardRefunds: z
        .object({ succeeded: Count, retrying: Count, failed: Count })
        .meta({ description: 'Refunds whose failed card returns were tried again, by what became of them.' }),
      reminders: Count.meta({ description: 'Reminders sent for installments due in the next 3 days.' }),
      fees: Count.meta({
        description: 'Late fees charged (orders unpaid past the grace days; capped per order).',
      }),
      renewals: z
        .object({ due: Count, renewed: Count, canceled: Count, riskRefused: Count, skipped: Count })
        .meta({
          description:
            "Subscriptions found due on their billing day: renewed (the period's order made and charged; its payment is counted with the installments above), canceled instead (at period end, or the agreement revoked), skipped by account monitoring, or skipped (nothing to do now).",
        }),
      errors: Count.meta({ description: 'Messages that failed every delivery (the DLQ).' }),
    })
    .meta({ id: 'CollectionRun' }),
);
export type CollectionRunResponse = z.infer<typeof CollectionRunResponse>;

/** Dispatcher -> shard worker: one per (day, shard) that holds due installments. */
/** What a message asks for: collect what is due (the default), or remind of what falls due soon. */
export const MessageAction = /* @__PURE__ */ defineSchema(() => z.enum(['collect', 'remind']).optional());

export const ShardMessage = /* @__PURE__ */ defineSchema(() =>
  z.strictObject({
    runId: z.string().min(1),
    asOf: IsoDay,
    day: IsoDay,
    shard: z.int().min(0).max(255),
    action: MessageAction,
  }),
);
export type ShardMessage = z.infer<typeof ShardMessage>;

/** Shard worker -> charger: one per installment (or failed card refund) a run found due. */
export const CollectMessage = /* @__PURE__ */ defineSchema(() =>
  z.strictObject({
    runId: z.string().min(1),
    asOf: IsoDay,
    orderId: idOf('order'),
    /** An installment; or a refund whose card return failed and is retried (orders/refund-retry.ts). */
    installmentId: z.union([idOf('installment'), idOf('refund')]),
    action: MessageAction,
  }),
);

/**
 * A use case -> charger: an installment it already claimed (`charging` at `attempt`): the first
 * installment of a capture, an installment of a payoff. The shape orders sends
 * (orders/charge-requests.ts); no run counts it.
 */
export const ClaimedChargeMessage = /* @__PURE__ */ defineSchema(() =>
  z.strictObject({
    action: z.literal('charge'),
    asOf: IsoDay,
    orderId: idOf('order'),
    installmentId: idOf('installment'),
    attempt: z.int().min(1).max(1000),
  }),
);

/** Shard worker -> charger: a subscription the run found due on its billing day (subscriptions/renew.ts). */
export const RenewMessage = /* @__PURE__ */ defineSchema(() =>
  z.strictObject({
    runId: z.string().min(1),
    asOf: IsoDay,
    action: z.literal('renew'),
    subscriptionId: idOf('subscription'),
  }),
);

export const ChargeMessage = /* @__PURE__ */ defineSchema(() =>
  z.union([CollectMessage, ClaimedChargeMessage, RenewMessage]),
);
export type ChargeMessage = z.infer<typeof ChargeMessage>;

// What orders sends must parse as a ClaimedChargeMessage (a compile-time check of the contract).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const _contract: Same<ClaimedCharge, z.infer<typeof ClaimedChargeMessage>> = true;
void _contract;
