/**
 * Collection, the orders side: read the `due` index, claim an installment, charge it once per
 * attempt, and settle charges whose charger died. The collection capability reaches this only
 * through `collection-face.ts`.
 *
 * Exactly once (ARCHITECTURE.md, Collection): an installment moves `due | failed -> charging`
 * by a conditional write on its version (the claim: of two chargers racing on one message, one wins
 * and the other skips), the processor is called with the key `<installmentId>#<attempt>` (it returns
 * the first outcome again for a repeated key), and the outcome is recorded `charging -> paid |
 * failed` conditioned on the same attempt. A charger that dies between the charge and the record
 * leaves the installment `charging`, in the `due` index; after CHARGING_TIMEOUT_MS the reconciler
 * asks the processor for that key's outcome and records it. It never charges again under that key.
 */
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Clock } from '../lib/clock.ts';
import { ddb, tableName } from '../lib/dynamodb.ts';
import { DUE_INDEX } from '../lib/tables.ts';
import { writeUnlessCancelled } from '../lib/transactions.ts';
import type { CardProcessor, ChargeResult } from '../payments/processor.ts';
import { balanceAvailableFor, releaseUncharged, tryPayInFullFromBalance } from './balance-payment.ts';
import { chargeRequest, recordChargeOutcome } from './charge.ts';
import { claim } from './claim.ts';
import { holdInstallment } from './dispute-hold.ts';
import { nextRetryDay } from './dunning.ts';
import { assessLateFee, lateFeeParking } from './late-fees.ts';
import { settleOrder } from './lifecycle.ts';
import type { InstallmentRecord, OrderPartition, PaymentSource } from './model.ts';
import { type CardRefundRetry, retryCardRefund } from './refund-retry.ts';
import { isInstallmentRef } from './reminders.ts';
import * as store from './store.ts';

/**
 * How long an installment may stay `charging` before the reconciler settles it. Far above the
 * charger's Lambda timeout (30 s, infra/constructs/collection.ts), so the charger that claimed it is
 * certainly gone and a processor with no record of the key never received the charge.
 */
export const CHARGING_TIMEOUT_MS = 15 * 60_000;

/** An installment found in the `due` index: enough to read it (its order partition). */
export interface DueRef {
  orderId: string;
  installmentId: string;
}

export interface DuePage {
  refs: DueRef[];
  /** Where the next page starts; undefined on the last page. */
  next?: Record<string, unknown>;
  /** Items the Query read, and the read capacity units it consumed (both for the scale bench). */
  itemsRead: number;
  readUnits: number;
}

/** Why an installment found in the index was not charged by this run. */
export const SKIP_REASONS = [
  'settled',
  'not_due_yet',
  'in_flight',
  'claimed_elsewhere',
  'order_closed',
  'card_attempt_limit',
  'card_declined_hard',
  'late_fee_only',
  'card_refund',
  'disputed',
] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

export interface CollectOutcome {
  result: 'paid' | 'failed_soft' | 'failed_hard' | 'skipped';
  reason?: SkipReason;
  /** A soft decline with another attempt on the dunning schedule (false once retries are spent). */
  retried?: boolean;
  /** How a paid installment was paid: `balance` (no card charge) or `balance_and_card` (docs/adr/0027). */
  source?: Exclude<PaymentSource, 'card'>;
  /** True when this call sent a charge to the processor. */
  charged: boolean;
  /** True when a charge stuck in `charging` was settled from the processor's record. */
  reconciled: boolean;
  /** The late fee charged on this visit, minor units (orders/late-fees.ts). */
  fee?: number;
  /** A refund's failed card returns tried again (orders/refund-retry.ts): what became of them. */
  refund?: CardRefundRetry;
  /** A charge of a subscription's period order: whose outcome the subscription takes (functions/subscriptions). */
  subscription?: { id: string; orderId: string; attempt: number };
}

const skipped = (reason: SkipReason): CollectOutcome => ({
  result: 'skipped',
  reason,
  charged: false,
  reconciled: false,
});

/** One page (at most `limit` items) of the `DUE#<day>#<shard>` partition. Query only, never Scan. */
export async function queryDuePage(
  day: string,
  shard: number,
  limit: number,
  startKey?: Record<string, unknown>,
): Promise<DuePage> {
  const page = await ddb().send(
    new QueryCommand({
      TableName: tableName(),
      IndexName: DUE_INDEX,
      KeyConditionExpression: 'duePk = :pk',
      ExpressionAttributeValues: { ':pk': `DUE#${day}#${shard}` },
      ProjectionExpression: 'orderId, dueSk',
      Limit: limit,
      ReturnConsumedCapacity: 'TOTAL',
      ...(startKey ? { ExclusiveStartKey: startKey } : {}),
    }),
  );
  return {
    refs: (page.Items ?? []).map((item) => ({
      orderId: String(item.orderId),
      installmentId: String(item.dueSk),
    })),
    ...(page.LastEvaluatedKey ? { next: page.LastEvaluatedKey } : {}),
    itemsRead: page.ScannedCount ?? page.Count ?? 0,
    readUnits: page.ConsumedCapacity?.CapacityUnits ?? 0,
  };
}

/** Whether anything is still indexed under `DUE#<day>#<shard>` (one item read at most). */
export async function shardHasDue(
  day: string,
  shard: number,
): Promise<{ due: boolean; itemsRead: number; readUnits: number }> {
  const page = await queryDuePage(day, shard, 1);
  return { due: page.refs.length > 0, itemsRead: page.itemsRead, readUnits: page.readUnits };
}

// ---------------------------------------------------------------------------------------------
// Claim, charge, reconcile
// ---------------------------------------------------------------------------------------------

const indexDay = (installment: InstallmentRecord) => installment.duePk?.split('#')[1];

/** What the balance pays of a card attempt on `installment`: all it holds, up to the amount. */
const balancePart = async (installment: InstallmentRecord, clock: Clock) =>
  Math.min(await balanceAvailableFor(installment, clock), installment.amount);

/** Takes an installment out of the `due` index (no run reads it again) and reports the skip. */
async function leaveIndex(installment: InstallmentRecord, reason: SkipReason, clock: Clock) {
  await writeUnlessCancelled([
    store.installmentUpdateItem(installment, {}, clock.now().toISOString(), ['duePk', 'dueSk']),
  ]);
  return skipped(reason);
}

function outcomeOf(
  installment: InstallmentRecord,
  result: ChargeResult,
  now: Date,
  outcomeFlags: { charged: boolean; reconciled: boolean },
): CollectOutcome {
  const { subscriptionId } = installment;
  const flags = subscriptionId
    ? {
        ...outcomeFlags,
        subscription: { id: subscriptionId, orderId: installment.orderId, attempt: installment.attempts },
      }
    : outcomeFlags;
  if (result.status === 'succeeded') {
    return { result: 'paid', ...(installment.balancePaid ? { source: 'balance_and_card' } : {}), ...flags };
  }
  if (result.hard) return { result: 'failed_hard', retried: false, ...flags };
  return { result: 'failed_soft', retried: nextRetryDay(installment, now) !== undefined, ...flags };
}

/** Charges a claimed installment with the key `<id>#<attempt>` and records the outcome. */
async function chargeClaimed(
  orderId: string,
  installment: InstallmentRecord,
  processor: CardProcessor,
  clock: Clock,
): Promise<CollectOutcome> {
  const result = await processor.charge(chargeRequest(installment));
  await recordChargeOutcome(orderId, installment.id, installment.attempts, result, clock);
  return outcomeOf(installment, result, clock.now(), { charged: true, reconciled: false });
}

/**
 * An installment `charging` past the timeout: its outcome comes from the processor's record of the
 * key. No record means the charge never reached the processor: the installment is released and
 * claimed again (a new attempt number, so a new key).
 */
async function reconcile(
  partition: OrderPartition,
  installment: InstallmentRecord,
  processor: CardProcessor,
  clock: Clock,
): Promise<CollectOutcome> {
  const now = clock.now();
  const since = Date.parse(installment.chargingSince ?? installment.updatedAt);
  if (now.getTime() - since < CHARGING_TIMEOUT_MS) return skipped('in_flight');
  const result = await processor.chargeOutcome(`${installment.id}#${installment.attempts}`);
  if (result) {
    await recordChargeOutcome(partition.order.id, installment.id, installment.attempts, result, clock);
    return outcomeOf(installment, result, now, { charged: false, reconciled: true });
  }
  // Never charged: released, with what the balance paid of that attempt given back.
  if (!(await releaseUncharged(installment, clock))) return skipped('claimed_elsewhere');
  const { chargingSince: _c, balancePaid: _b, ...rest } = installment;
  const released = { ...rest, status: 'due' as const, version: installment.version + 1 };
  const claimed = await claim(released, clock, () => balancePart(released, clock));
  if (typeof claimed === 'string') return skipped(claimed);
  return { ...(await chargeClaimed(partition.order.id, claimed, processor, clock)), reconciled: true };
}

/**
 * Charges an installment another use case claimed and handed to the charger (capture's first
 * installment, a payoff: ./charge-requests.ts): when it is still `charging` at `ref.attempt`, with
 * the key `<installmentId>#<attempt>`, and records the outcome. Anything else (already recorded,
 * released by the reconciler, claimed again) is `settled`: a redelivered message charges nothing.
 * Throws only on infrastructure errors (the queue then redelivers the message).
 */
export async function chargeClaimedInstallment(
  ref: DueRef & { attempt: number },
  processor: CardProcessor,
  clock: Clock,
): Promise<CollectOutcome> {
  const partition = await store.getOrderPartition(ref.orderId);
  const installment = partition?.installments.find((i) => i.id === ref.installmentId);
  if (installment?.status !== 'charging' || installment.attempts !== ref.attempt) {
    return skipped('settled');
  }
  return chargeClaimed(ref.orderId, installment, processor, clock);
}

/**
 * Collects one installment found in the `due` index by a run for `asOf` (YYYY-MM-DD): claims and
 * charges it, settles it if stuck in `charging`, or says why it was skipped. Safe to call any number
 * of times for the same ref, concurrently too: at most one charge per attempt reaches the processor.
 * Throws only on infrastructure errors (the queue then redelivers the message).
 */
export async function collectInstallment(
  ref: DueRef,
  asOf: string,
  processor: CardProcessor,
  clock: Clock,
): Promise<CollectOutcome> {
  if (!isInstallmentRef(ref)) {
    const refund = await retryCardRefund(ref, asOf, processor, clock);
    return refund ? { ...skipped('card_refund'), refund } : skipped('settled');
  }
  const partition = await store.getOrderPartition(ref.orderId);
  const installment = partition?.installments.find((i) => i.id === ref.installmentId);
  if (!partition || !installment) return skipped('settled');
  const day = indexDay(installment);
  if (!day || installment.status === 'paid' || installment.status === 'cancelled') {
    // A charger that died after recording but before settling the order: finish that too.
    if (partition.order.status === 'captured') await settleOrder(partition.order.id, clock);
    return skipped('settled');
  }
  if (day > asOf) return skipped('not_due_yet');
  const { order } = partition;
  if (order.status !== 'captured' && order.status !== 'in_arrears') {
    // Nothing can be collected on a closed order: it leaves the index so no run reads it again.
    return leaveIndex(installment, 'order_closed', clock);
  }
  if (installment.status === 'charging') return reconcile(partition, installment, processor, clock);
  // Disputed: nothing is charged and no fee accrues; held out of the index until the dispute ends.
  if (order.disputed) {
    return skipped((await holdInstallment(installment, day, clock)) ? 'disputed' : 'claimed_elsewhere');
  }
  // Unpaid long enough: the late fee first (it is then collected with the installment).
  const late = await assessLateFee(partition, installment, asOf, clock, installment.lateFeeOn === day);
  if (!late.written) return skipped('claimed_elsewhere');
  const withFee = late.fee > 0 ? { fee: late.fee } : {};
  if (installment.lateFeeOn === day) return { ...skipped('late_fee_only'), ...withFee };
  // The balance first (docs/adr/0027): the whole installment when it covers it, with no card at all.
  const available = await balanceAvailableFor(late.installment, clock);
  if (available >= late.installment.amount) {
    const paid = await tryPayInFullFromBalance(order.id, installment.id, clock);
    if (paid === 'paid') {
      const { subscriptionId } = installment;
      const link = subscriptionId
        ? { subscription: { id: subscriptionId, orderId: order.id, attempt: installment.attempts } }
        : {};
      return { result: 'paid', source: 'balance', charged: false, reconciled: false, ...withFee, ...link };
    }
    if (paid === 'stale') return { ...skipped('claimed_elsewhere'), ...withFee };
    // Short meanwhile (a concurrent withdrawal): the card pays, with what the balance still holds.
  }
  if (partition.installments.some((i) => i.hardDecline && i.cardToken === installment.cardToken)) {
    // A lost, stolen or closed card is never charged again: the installment leaves the index until
    // the shopper sets another card (the order is in arrears meanwhile), or waits there for its fee.
    const parking = lateFeeParking(order, late.installment, clock.now());
    if (!parking) return { ...(await leaveIndex(late.installment, 'card_declined_hard', clock)), ...withFee };
    await writeUnlessCancelled([
      store.installmentUpdateItem(late.installment, parking, clock.now().toISOString()),
    ]);
    return { ...skipped('card_declined_hard'), ...withFee };
  }
  // Part of the attempt from the balance, the rest by card (./claim.ts).
  const claimed = await claim(late.installment, clock, () => balancePart(late.installment, clock));
  if (typeof claimed === 'string') return { ...skipped(claimed), ...withFee };
  return { ...(await chargeClaimed(order.id, claimed, processor, clock)), ...withFee };
}
