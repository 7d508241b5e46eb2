/**
 * Collection at scale against DynamoDB Local: seeds installments due on a day and many more that are
 * not (indexed on later days, or paid and out of the index), then measures what a run reads from the
 * due index. Shared by test/reliability (small, in npm test) and the bench (large).
 */
import { randomBytes } from 'node:crypto';
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { dispatch } from '../../functions/collection/dispatch.ts';
import type { ChargeMessage, ShardMessage } from '../../functions/collection/schema.ts';
import { processShard } from '../../functions/collection/shard.ts';
import * as runStore from '../../functions/collection/store.ts';
import { DAY_MS, isoDay } from '../../functions/lib/clock.ts';
import { ddb, tableName } from '../../functions/lib/dynamodb.ts';
import { newId } from '../../functions/lib/ids.ts';
import { MemoryQueue } from '../../functions/lib/queue-memory.ts';
import { DUE_SHARDS, queryDuePage } from '../../functions/orders/collection-face.ts';
import type { InstallmentRecord, OrderRecord } from '../../functions/orders/model.ts';
import { dueIndex, installmentKey, orderKey } from '../../functions/orders/store.ts';

const at = (day: string) => new Date(`${day}T06:00:00Z`);

function order(id: string, amount: number, day: string): OrderRecord {
  const iso = at(day).toISOString();
  return {
    id,
    merchantId: 'mer_bench',
    livemode: false,
    customerId: 'cus_bench',
    checkoutSessionId: 'cs_bench',
    merchantReference: 'bench',
    status: 'captured',
    amount,
    currency: 'USD',
    plan: 'pay_in_30',
    cardToken: 'tok_bench',
    cardBrand: 'visa',
    cardLast4: '4242',
    capturedAmount: amount,
    refundedAmount: 0,
    outstandingAmount: amount,
    collectedAmount: 0,
    captureCount: 1,
    authorizationExpiresAt: iso,
    authorizationMaxExpiresAt: iso,
    schedulePreview: {
      installments: [],
      disclosure: {
        amountFinanced: amount,
        financeCharge: 0,
        totalOfPayments: amount,
        apr: 0,
        payment: amount,
      },
    },
    version: 2,
    createdAt: iso,
    updatedAt: iso,
  };
}

function installment(orderId: string, amount: number, dueDate: string, indexed: boolean): InstallmentRecord {
  const id = newId('installment');
  const iso = at(dueDate).toISOString();
  return {
    id,
    orderId,
    merchantId: 'mer_bench',
    customerId: 'cus_bench',
    captureId: 'cap_bench',
    seq: 1,
    dueDate,
    amount,
    originalAmount: amount,
    principal: amount,
    interest: 0,
    currency: 'USD',
    cardToken: `tok_${randomBytes(6).toString('hex')}`,
    status: indexed ? 'due' : 'paid',
    attempts: indexed ? 0 : 1,
    refunded: 0,
    version: 1,
    createdAt: iso,
    updatedAt: iso,
    ...(indexed ? dueIndex(id, dueDate) : {}),
  };
}

export async function writeAll(items: Record<string, unknown>[], concurrency = 8): Promise<void> {
  const batches: Record<string, unknown>[][] = [];
  for (let i = 0; i < items.length; i += 25) batches.push(items.slice(i, i + 25));
  const worker = async () => {
    for (let batch = batches.shift(); batch; batch = batches.shift()) {
      let pending: unknown[] = batch.map((Item) => ({ PutRequest: { Item } }));
      while (pending.length > 0) {
        const out = await ddb().send(
          new BatchWriteCommand({ RequestItems: { [tableName()]: pending as never } }),
        );
        pending = (out.UnprocessedItems?.[tableName()] ?? []) as unknown[];
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

/**
 * `due` orders (one installment each) due on `asOf`; `notDue` installments of other orders: half
 * indexed on the 60 days after `asOf`, half paid (out of the index). Both kinds sit in the table.
 */
export async function seedInstallments(
  asOf: string,
  counts: { due: number; notDue: number; cardToken?: string },
): Promise<void> {
  const items: Record<string, unknown>[] = [];
  for (let i = 0; i < counts.due; i += 1) {
    // One card per shopper: the per-card attempt limit must not be what the bench measures.
    const card = counts.cardToken ?? `tok_${randomBytes(6).toString('hex')}`;
    const o = { ...order(newId('order'), 2_500, asOf), cardToken: card };
    const ins = { ...installment(o.id, 2_500, asOf, true), cardToken: o.cardToken };
    items.push({ ...orderKey(o.id), type: 'order', ...o });
    items.push({ ...installmentKey(o.id, ins.captureId, 1), type: 'installment', ...ins });
  }
  for (let i = 0; i < counts.notDue; i += 1) {
    const later = isoDay(new Date(at(asOf).getTime() + (1 + (i % 60)) * DAY_MS));
    const ins = installment(newId('order'), 2_500, later, i % 2 === 0);
    items.push({ ...installmentKey(ins.orderId, ins.captureId, 1), type: 'installment', ...ins });
  }
  await writeAll(items);
}

export interface IndexReads {
  /** Installments the shard workers found due. */
  due: number;
  /** Items read from the due index (dispatcher checks + shard pages). */
  itemsRead: number;
  /** Read capacity units those Queries consumed. */
  readUnits: number;
}

/**
 * The read side of a steady-state run for `asOf` (the previous run's watermark at `asOf`): the
 * dispatcher and every shard worker, with the charge messages counted instead of charged.
 */
export async function measureIndexReads(asOf: string): Promise<IndexReads> {
  await runStore.advanceWatermark(asOf, at(asOf).toISOString());
  const shards = new MemoryQueue<ShardMessage>();
  const charges = new MemoryQueue<ChargeMessage>();
  const run = { id: newId('collectionRun'), asOf };
  const dispatched = await dispatch(run, at(asOf), shards);
  const reads: IndexReads = { due: 0, itemsRead: dispatched.itemsRead, readUnits: dispatched.readUnits };
  for (const { body } of shards.take(shards.size)) {
    const result = await processShard(body, charges);
    reads.due += result.due;
    reads.itemsRead += result.itemsRead;
    reads.readUnits += result.readUnits;
  }
  return reads;
}

/** How many installments the due index holds under `day` (all shards). */
export async function dueInstallments(day: string): Promise<number> {
  let n = 0;
  for (let shard = 0; shard < DUE_SHARDS; shard += 1) {
    let next: Record<string, unknown> | undefined;
    do {
      const page = await queryDuePage(day, shard, 100, next);
      n += page.refs.length;
      next = page.next;
    } while (next);
  }
  return n;
}
