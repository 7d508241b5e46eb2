/**
 * Collection at scale against DynamoDB Local: seeds installments due on a day and many more that are
 * not (indexed on later days), as orders laid out by the production functions, then measures what a
 * run reads from the due index. Shared by test/reliability (small, in npm test) and the bench (large).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { dispatch } from '../../functions/collection/dispatch.ts';
import type { ChargeMessage, ShardMessage } from '../../functions/collection/schema.ts';
import { processShard } from '../../functions/collection/shard.ts';
import * as runStore from '../../functions/collection/store.ts';
import { buildSchedule } from '../../functions/installments/terms.ts';
import { addDays, fixedClock } from '../../functions/lib/clock.ts';
import { ddb, tableName } from '../../functions/lib/dynamodb.ts';
import { newId } from '../../functions/lib/ids.ts';
import { MemoryQueue } from '../../functions/lib/queue-memory.ts';
import type { TransactItem } from '../../functions/lib/transactions.ts';
import { autoCaptured } from '../../functions/orders/auto-capture.ts';
import { DUE_SHARDS, queryDuePage } from '../../functions/orders/collection-face.ts';
import { orderReferenceItem } from '../../functions/orders/list-store.ts';
import type { OrderRecord } from '../../functions/orders/model.ts';
import { AUTHORIZATION_MAX_LIFE_MS, AUTHORIZATION_TTL_MS } from '../../functions/orders/policy.ts';
import { customerOrderItem } from '../../functions/orders/store.ts';
import { type DdbCost, ddbCounter } from './dynamo-commands.ts';

const at = (day: string) => new Date(`${day}T06:00:00Z`);

type Item = Record<string, unknown>;
type Terms = { plan: 'pay_in_30' } | { plan: 'monthly'; termMonths: number };

/**
 * An `authorized` order as orders/create.ts `newOrder` makes it from an approval (that function is
 * private to the use case; the type keeps this one complete), created at `now`.
 */
function authorizedOrder(terms: Terms, amount: number, now: Date, cardToken: string): OrderRecord {
  const options = terms.plan === 'monthly' ? { termMonths: terms.termMonths, aprBps: 1_499 } : {};
  const schedule = buildSchedule(terms.plan, amount, 'USD', now, options);
  const iso = now.toISOString();
  return {
    id: newId('order', now),
    merchantId: 'mer_bench',
    livemode: false,
    customerId: 'cus_bench',
    checkoutSessionId: newId('checkoutSession', now),
    merchantReference: 'bench',
    status: 'authorized',
    amount,
    currency: 'USD',
    plan: terms.plan,
    ...options,
    cardToken,
    cardBrand: 'visa',
    cardLast4: '4242',
    capturedAmount: 0,
    refundedAmount: 0,
    outstandingAmount: 0,
    collectedAmount: 0,
    captureCount: 0,
    authorizationExpiresAt: new Date(now.getTime() + AUTHORIZATION_TTL_MS).toISOString(),
    authorizationMaxExpiresAt: new Date(now.getTime() + AUTHORIZATION_MAX_LIFE_MS).toISOString(),
    schedulePreview: { installments: schedule.installments, disclosure: schedule.disclosure },
    version: 1,
    createdAt: iso,
    updatedAt: iso,
  };
}

const putItem = (t: TransactItem): Item => {
  if (!t.Put?.Item) throw new Error('the seed writes Put items only');
  return t.Put.Item;
};

/**
 * The main-table items of an order created with `autoCapture` at `now` (orders/create.ts), built by
 * the production functions: the captured order, its capture, its installments (in the `due` index),
 * the `order.authorized` and `order.captured` events with their deliveries, the shopper's order link
 * and the merchantReference marker. `check` sees every installment (the seed's own layout guard).
 */
function capturedOrderItems(
  terms: Terms,
  amount: number,
  now: Date,
  cardToken: string,
  check: (dueDate: string, status: string) => void,
): Item[] {
  const { partition, items } = autoCaptured(
    authorizedOrder(terms, amount, now, cardToken),
    now,
    fixedClock(now),
  );
  for (const i of partition.installments) check(i.dueDate, i.status);
  return [...items, customerOrderItem(partition.order), orderReferenceItem(partition.order)].map(putItem);
}

/**
 * `due` pay_in_30 orders captured 30 days before `asOf` (one installment each, due on `asOf`, one
 * card each unless `cardToken`), then monthly orders whose `notDue` installments all fall due after
 * `asOf` (captured on the 28 days up to `asOf`; 12 months each, the last order's term adjusted so
 * that the count is exact; fewer than 3: pay_in_30 orders due on the days after `asOf`).
 */
export function* installmentItems(
  asOf: string,
  counts: { due: number; notDue: number; cardToken?: string },
): Generator<Item> {
  const dueOn = (dueDate: string, status: string) => {
    if (dueDate !== asOf || status !== 'due') throw new Error(`seed drift: due ${dueDate} ${status}`);
  };
  const later = (dueDate: string, status: string) => {
    if (dueDate <= asOf || status !== 'due') throw new Error(`seed drift: not due ${dueDate} ${status}`);
  };
  for (let i = 0; i < counts.due; i += 1) {
    // One card per shopper: the per-card attempt limit must not be what the bench measures.
    const card = counts.cardToken ?? newId('token');
    yield* capturedOrderItems({ plan: 'pay_in_30' }, 2_500, at(addDays(asOf, -30)), card, dueOn);
  }
  for (const [i, terms] of notDueTerms(counts.notDue).entries()) {
    const captured = terms.plan === 'monthly' ? addDays(asOf, -(i % 28)) : addDays(asOf, -29 + (i % 29));
    yield* capturedOrderItems(terms, 120_000, at(captured), newId('token'), later);
  }
}

/** Order terms whose installments number exactly `n`: 12-month orders, the last one 3 to 14 months. */
function notDueTerms(n: number): Terms[] {
  if (n < 3) return Array.from({ length: n }, () => ({ plan: 'pay_in_30' }) as const);
  const months = Array.from({ length: Math.floor(n / 12) }, () => 12);
  const rest = n % 12;
  if (rest >= 3) months.push(rest);
  else if (rest > 0) months[months.length - 1] = 12 + rest;
  return months.map((termMonths) => ({ plan: 'monthly', termMonths }));
}

/** Seeding progress: items written so far of `total`, and the time it took. */
export interface SeedProgress {
  written: number;
  total: number | undefined;
  elapsedMs: number;
}

export interface WriteOptions {
  /** BatchWriteItem requests in flight (default 8). */
  concurrency?: number;
  /** For `onProgress`: how many items `items` yields. */
  total?: number;
  /** Called every `progressEveryMs` (default 5 s) and once at the end. */
  onProgress?: (progress: SeedProgress) => void;
  progressEveryMs?: number;
}

/**
 * Writes `items` (pulled lazily) to the main table with BatchWriteItem, 25 items a request and
 * `concurrency` requests in flight, retrying UnprocessedItems with backoff. Conditions do not apply
 * (BatchWriteItem has none): for seeding fresh tables. Returns the items written.
 */
export async function writeAll(items: Iterable<Item>, options: WriteOptions = {}): Promise<number> {
  const source = items[Symbol.iterator]();
  const started = performance.now();
  let written = 0;
  let reported = started;
  const report = () => {
    reported = performance.now();
    options.onProgress?.({ written, total: options.total, elapsedMs: reported - started });
  };
  const nextBatch = (): Item[] => {
    const batch: Item[] = [];
    for (let r = source.next(); !r.done; r = source.next()) if (batch.push(r.value) === 25) break;
    return batch;
  };
  const worker = async () => {
    for (let batch = nextBatch(); batch.length > 0; batch = nextBatch()) {
      let pending: unknown[] = batch.map((Item) => ({ PutRequest: { Item } }));
      for (let attempt = 0; pending.length > 0; attempt += 1) {
        if (attempt > 0) await sleep(Math.min(1_000, 25 * 2 ** attempt));
        const out = await ddb().send(
          new BatchWriteCommand({ RequestItems: { [tableName()]: pending as never } }),
        );
        pending = (out.UnprocessedItems?.[tableName()] ?? []) as unknown[];
      }
      written += batch.length;
      if (performance.now() - reported >= (options.progressEveryMs ?? 5_000)) report();
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 8 }, worker));
  report();
  return written;
}

/** How many items `installmentItems(asOf, counts)` yields (for progress and rates). */
export function seedItemCount(asOf: string, counts: { due: number; notDue: number }): number {
  // The items of an order besides its installments, counted on one (so the count follows the layout).
  let perOrder = 0;
  for (const _ of installmentItems(asOf, { due: 1, notDue: 0 })) perOrder += 1;
  perOrder -= 1;
  const terms = notDueTerms(counts.notDue);
  return counts.due * (perOrder + 1) + terms.length * perOrder + counts.notDue;
}

/**
 * Seeds the main table with production-shaped orders (`installmentItems`): `due` installments due on
 * `asOf` and `notDue` falling due later. Returns the items written.
 */
export function seedInstallments(
  asOf: string,
  counts: { due: number; notDue: number; cardToken?: string },
  options: Omit<WriteOptions, 'total'> = {},
): Promise<number> {
  return writeAll(installmentItems(asOf, counts), { ...options, total: seedItemCount(asOf, counts) });
}

export interface IndexReads {
  /** Installments the shard workers found due. */
  due: number;
  /** Items read from the due index (dispatcher checks + shard pages). */
  itemsRead: number;
  /** Non-empty (day, shard) partitions: the dispatcher's checks read one item from each. */
  partitions: number;
  /** Read capacity units those Queries consumed. */
  readUnits: number;
  /**
   * What the DynamoDB client was seen to send meanwhile (an SDK middleware, ./dynamo-commands.ts),
   * every read command asking for its consumed capacity: the check that the figures above, which
   * the collection code reports about itself, leave no read out.
   */
  observed: DdbCost;
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
  const counter = ddbCounter(ddb(), `index-reads-${run.id}`);
  counter.start();
  try {
    const dispatched = await dispatch(run, at(asOf), shards);
    const reads = {
      due: 0,
      itemsRead: dispatched.itemsRead,
      partitions: dispatched.shardMessages,
      readUnits: dispatched.readUnits,
    };
    for (const { body } of shards.take(shards.size)) {
      const result = await processShard(body, charges);
      reads.due += result.due;
      reads.itemsRead += result.itemsRead;
      reads.readUnits += result.readUnits;
    }
    return { ...reads, observed: counter.stop() };
  } finally {
    counter.detach();
  }
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
