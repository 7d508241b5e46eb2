/**
 * Subscription renewals at scale against DynamoDB Local: seeds subscriptions renewing on one day
 * (each with its own shopper's active agreement) and many more renewing on later days, then runs
 * ONE collection run through the real pipeline functions (dispatcher, shard workers, charger
 * handler) and reports what it read from the due index and what the run record counted. Shared by
 * test/reliability (small in npm test, 1,000 under RELIABILITY=1).
 */
import { randomBytes } from 'node:crypto';
import type { SQSRecord } from 'aws-lambda';
import { chargeInstallments } from '../../functions/collection/charge-handler.ts';
import { dispatch } from '../../functions/collection/dispatch.ts';
import type { ChargeMessage, ShardMessage } from '../../functions/collection/schema.ts';
import { processShard } from '../../functions/collection/shard.ts';
import * as runStore from '../../functions/collection/store.ts';
import { addDays } from '../../functions/lib/clock.ts';
import { newId } from '../../functions/lib/ids.ts';
import { MAX_RECEIVES } from '../../functions/lib/queue.ts';
import { MemoryQueue } from '../../functions/lib/queue-memory.ts';
import type { CardProcessor, ChargeRequest, ChargeResult } from '../../functions/payments/processor.ts';
import type { SubscriptionRecord } from '../../functions/subscriptions/store.ts';
import { renewalIndex, subscriptionKey } from '../../functions/subscriptions/store.ts';
import { writeAll } from './collection-scale.ts';

/** A processor that approves every charge and remembers each key once (a repeated key is a double charge). */
export function countingProcessor(): CardProcessor & { keys: Map<string, number> } {
  const keys = new Map<string, number>();
  const results = new Map<string, ChargeResult>();
  return {
    keys,
    async charge(request: ChargeRequest) {
      keys.set(request.idempotencyKey, (keys.get(request.idempotencyKey) ?? 0) + 1);
      const result: ChargeResult = { status: 'succeeded', chargeId: `ch_${request.idempotencyKey}` };
      results.set(request.idempotencyKey, result);
      return result;
    },
    async chargeOutcome(key: string) {
      return results.get(key);
    },
    async refund() {
      return { status: 'failed', message: 'not in this bench' };
    },
  };
}

const at = (day: string) => `${day}T06:00:00.000Z`;

function records(merchantId: string, day: string, withAgreement = true): Record<string, unknown>[] {
  const customerId = newId('customer');
  const token = newId('customerToken');
  const cardToken = `tok_${randomBytes(6).toString('hex')}`;
  const agreement = {
    pk: `AGREEMENT#${token}`,
    sk: 'AGREEMENT',
    type: 'agreement',
    id: token,
    merchantId,
    livemode: false,
    customerId,
    checkoutSessionId: 'cs_bench',
    purpose: 'bench',
    maxAmount: 5_000,
    currency: 'USD',
    cadence: 'monthly',
    cardToken,
    cardBrand: 'visa',
    cardLast4: '4242',
    status: 'active',
    version: 1,
    createdAt: at(day),
    updatedAt: at(day),
  };
  const id = newId('subscription');
  const subscription: SubscriptionRecord = {
    id,
    merchantId,
    livemode: false,
    customerId,
    customerToken: token,
    amount: 2_500,
    currency: 'USD',
    interval: 'month',
    intervalCount: 1,
    anchor: day,
    startDate: day,
    status: 'active',
    period: 0,
    nextBillingDate: day,
    cancelAtPeriodEnd: false,
    version: 1,
    createdAt: at(day),
    updatedAt: at(day),
  };
  const item = { ...subscriptionKey(id), type: 'subscription', ...subscription, ...renewalIndex(id, day) };
  return withAgreement ? [agreement, item] : [item];
}

/** `due` subscriptions renewing on `asOf`; `notDue` renewing on the 60 days after it. One active merchant. */
export async function seedSubscriptions(
  asOf: string,
  counts: { due: number; notDue: number },
): Promise<string> {
  const merchantId = newId('merchant');
  const items: Record<string, unknown>[] = [
    { pk: `MERCHANT#${merchantId}`, sk: 'MERCHANT', type: 'merchant', id: merchantId, status: 'active' },
  ];
  for (let i = 0; i < counts.due; i += 1) items.push(...records(merchantId, asOf));
  // Renewing later: never read by this run, so they need no agreement.
  for (let i = 0; i < counts.notDue; i += 1)
    items.push(...records(merchantId, addDays(asOf, 1 + (i % 60)), false));
  await writeAll(items);
  return merchantId;
}

export interface IndexReads {
  /** Subscriptions the shard workers found due, and the index reads (dispatcher checks + pages). */
  renewalsDue: number;
  itemsRead: number;
  readUnits: number;
}

const sqsRecord = (body: unknown, n: number, receives = 1): SQSRecord =>
  ({
    messageId: `m${n}`,
    body: JSON.stringify(body),
    attributes: { ApproximateReceiveCount: String(receives) },
  }) as unknown as SQSRecord;

/**
 * The read side of one collection run for `asOf` (the watermark at `asOf`, as in steady state): the
 * run record, the dispatcher and every shard worker. Returns the reads and the charger's messages.
 */
export async function readRun(
  asOf: string,
): Promise<{ runId: string; reads: IndexReads; messages: ChargeMessage[] }> {
  const now = new Date(at(asOf));
  await runStore.advanceWatermark(asOf, now.toISOString());
  const runId = newId('collectionRun', now);
  await runStore.createRun({
    id: runId,
    asOf,
    status: 'running',
    startedAt: now.toISOString(),
    days: [],
    counts: {},
  });
  const shards = new MemoryQueue<ShardMessage>();
  const charges = new MemoryQueue<ChargeMessage>();
  const dispatched = await dispatch({ id: runId, asOf }, now, shards);
  const reads: IndexReads = {
    renewalsDue: 0,
    itemsRead: dispatched.itemsRead,
    readUnits: dispatched.readUnits,
  };
  for (const { body } of shards.take(shards.size)) {
    const result = await processShard(body, charges);
    reads.renewalsDue += result.renewals;
    reads.itemsRead += result.itemsRead;
    reads.readUnits += result.readUnits;
  }
  return { runId, reads, messages: charges.take(charges.size).map(({ body }) => body) };
}

/**
 * The charge side of the run: every message through the charger's SQS handler in batches of 10,
 * `concurrency` batches at a time; a message the handler reports failed is delivered again, as SQS
 * does, until MAX_RECEIVES (then the run counts it in `errors`: the DLQ). Returns the run's counters.
 */
export async function chargeRun(
  run: { runId: string; messages: ChargeMessage[] },
  concurrency = 4,
): Promise<Record<string, number>> {
  let pending = run.messages.map((body, n) => sqsRecord(body, n));
  for (let receives = 1; pending.length > 0 && receives <= MAX_RECEIVES; receives += 1) {
    const batches: SQSRecord[][] = [];
    for (let i = 0; i < pending.length; i += 10) batches.push(pending.slice(i, i + 10));
    const failed = new Set<string>();
    const worker = async () => {
      for (let batch = batches.shift(); batch; batch = batches.shift()) {
        const response = await chargeInstallments({ Records: batch });
        for (const f of response.batchItemFailures) failed.add(f.itemIdentifier);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    pending = pending
      .filter((r) => failed.has(r.messageId))
      .map((r) => sqsRecord(JSON.parse(r.body), Number(r.messageId.slice(1)), receives + 1));
  }
  return (await runStore.getRun(run.runId))?.counts ?? {};
}
