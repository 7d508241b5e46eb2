/**
 * Collection budget (ARCHITECTURE.md "Performance budgets", Collection; issue 10, Scale): the cost of
 * a run grows with the installments due, not with the table. Three tables, each in its own DynamoDB
 * Local database:
 *   1x      DUE installments due on one day, NOT_DUE falling due later;
 *   10x     the same DUE, 10 x NOT_DUE later;
 *   due/10  DUE / 10 due, NOT_DUE later (the reads must grow with the due count).
 * Seeded with production-shaped orders (test/support/collection-scale.ts), then the read side of a
 * steady-state run (dispatcher and shard workers; charge messages counted, not charged) is measured
 * on the three in turn, ROUNDS times after a warm-up round (1x 10x due/10 1x 10x …): read units,
 * index items read, time. Then the whole local pipeline (dispatcher, shard workers, chargers over
 * the in-process queues; a counting card processor, so no vault) collects due/10 (warm-up), 1x and
 * 10x: installments per second, every one due paid, none charged twice.
 *
 * Sizes: COLLECTION_BENCH_DUE (default 1,000), COLLECTION_BENCH_NOT_DUE (default 5,000; the 10x
 * table holds ten times that), COLLECTION_BENCH_ROUNDS (default 5). Issue 10's size:
 * COLLECTION_BENCH_DUE=10000 COLLECTION_BENCH_NOT_DUE=10000 (10,000 due against 10,000 and 100,000
 * not due; about 390,000 items to seed). `npm run bench` calls `run(endpoint)`;
 * `node test/bench/collection.ts` runs it on its own.
 */
import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { runCollection } from '../../functions/collection/run.ts';
import { fixedClock } from '../../functions/lib/clock.ts';
import { resetConfig } from '../../functions/lib/config.ts';
import { ddb, resetDdb } from '../../functions/lib/dynamodb.ts';
import { setCardProcessor } from '../../functions/payments/processor.ts';
import { createTables, tableEnv } from '../../infra/local/bootstrap-tables.ts';
import { registerLocalCollection } from '../../infra/local/collection.ts';
import {
  type IndexReads,
  measureIndexReads,
  type SeedProgress,
  seedInstallments,
} from '../support/collection-scale.ts';
import { countingProcessor } from '../support/subscriptions-scale.ts';
import {
  type BenchRow,
  type DdbCost,
  ddbCounter,
  dueIndexScalingRows,
  median,
  perOperation,
  row,
} from './support.ts';

const AS_OF = '2026-06-15';
const DUE = Number(process.env.COLLECTION_BENCH_DUE ?? 1_000);
const NOT_DUE = Number(process.env.COLLECTION_BENCH_NOT_DUE ?? 5_000);
const ROUNDS = Number(process.env.COLLECTION_BENCH_ROUNDS ?? 5);
const S = 'collection scaling';

const say = (line: string) => process.stdout.write(`${line}\n`);

/** A table set in a DynamoDB Local database of its own. */
interface Table {
  name: string;
  due: number;
  notDue: number;
  accessKey: string;
  prefix: string;
}

/**
 * Points functions/lib at `table` (its tables, its database). DynamoDB Local keeps one database per
 * access key (run.ts starts it without -sharedDb); in one database, writes to a table created after
 * another holding ~30,000 items ran at 40 to 110 items/s against 1,500 to 3,300 in a database of its
 * own (DynamoDB Local 1.25.1, 2026-11-30; docs/performance.md): each table set gets its own.
 */
function use(table: Table, endpoint: string): void {
  Object.assign(process.env, tableEnv(table.prefix), {
    DYNAMODB_ENDPOINT: endpoint,
    // DynamoDB Local takes any credentials; never pick up real ones.
    AWS_ACCESS_KEY_ID: table.accessKey,
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_REGION: process.env.AWS_REGION ?? 'us-east-1',
  });
  resetConfig();
  resetDdb();
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

/** One progress line: items written, overall rate and the last interval's, time left at the overall rate. */
function progressLine(table: Table) {
  let last = { written: 0, elapsedMs: 0 };
  return ({ written, total, elapsedMs }: SeedProgress) => {
    const rate = written / Math.max(0.001, elapsedMs / 1000);
    const now = (written - last.written) / Math.max(0.001, (elapsedMs - last.elapsedMs) / 1000);
    last = { written, elapsedMs };
    const eta = total === undefined ? '' : `, ETA ${Math.round((total - written) / Math.max(1, rate))} s`;
    say(
      `  seeding ${table.name}: ${fmt(written)} / ${fmt(total ?? written)} items, ${fmt(rate)} items/s (last ${fmt(now)})${eta}`,
    );
  };
}

export interface Seeding {
  items: number;
  seconds: number;
}

/** Creates `table`'s tables in its own database and seeds them. */
async function seed(table: Table, endpoint: string): Promise<Seeding> {
  use(table, endpoint);
  const admin = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: table.accessKey, secretAccessKey: 'local' },
  });
  await createTables(admin, table.prefix);
  admin.destroy();
  const started = performance.now();
  const items = await seedInstallments(
    AS_OF,
    { due: table.due, notDue: table.notDue },
    { onProgress: progressLine(table) },
  );
  return { items, seconds: (performance.now() - started) / 1000 };
}

/** One measure of a steady-state run's due-index reads, with its time. */
type TimedReads = IndexReads & { ms: number };

/** The read side on every table in turn, `ROUNDS` times (alternated, so machine drift lands on all). */
async function alternatedReads(tables: Table[], endpoint: string): Promise<Map<Table, TimedReads[]>> {
  const reads = new Map<Table, TimedReads[]>(tables.map((t) => [t, []]));
  // Round 0 warms up (JIT, DynamoDB Local's caches) and is not kept.
  for (let round = 0; round <= ROUNDS; round += 1) {
    for (const table of tables) {
      use(table, endpoint);
      const started = performance.now();
      const r = await measureIndexReads(AS_OF);
      if (round > 0) reads.get(table)?.push({ ...r, ms: performance.now() - started });
    }
  }
  return reads;
}

/** A whole collection run of `table` through the local pipeline. */
interface Collected {
  paid: number;
  seconds: number;
  chargedTwice: number;
  cost: DdbCost;
}

async function collect(table: Table, endpoint: string): Promise<Collected> {
  use(table, endpoint);
  const processor = countingProcessor();
  setCardProcessor(processor);
  const counter = ddbCounter(ddb());
  counter.start();
  try {
    const run = await runCollection(AS_OF, fixedClock(`${AS_OF}T10:00:00Z`));
    return {
      paid: run.paid,
      seconds: (run.durationMs ?? 0) / 1000,
      chargedTwice: [...processor.keys.values()].filter((n) => n > 1).length,
      cost: counter.stop(),
    };
  } finally {
    counter.detach();
    setCardProcessor(undefined);
  }
}

export interface CollectionBenchResult {
  tables: Table[];
  seeding: Map<Table, Seeding>;
  reads: Map<Table, TimedReads[]>;
  collected: Map<Table, Collected>;
}

export async function collectionBench(endpoint: string): Promise<CollectionBenchResult> {
  const key = (process.env.AWS_ACCESS_KEY_ID ?? 'local').replace(/[^a-z0-9]/gi, '');
  const table = (name: string, due: number, notDue: number): Table => ({
    name,
    due,
    notDue,
    accessKey: `${key}${name.replace(/[^a-z0-9]/gi, '')}`,
    prefix: `c${randomBytes(3).toString('hex')}-`,
  });
  const tables = [
    table('1x', DUE, NOT_DUE),
    table('10x', DUE, NOT_DUE * 10),
    table('due/10', Math.max(1, Math.round(DUE / 10)), NOT_DUE),
  ];
  const seeding = new Map<Table, Seeding>();
  for (const t of tables) {
    say(`collection: seeding ${t.name} (${fmt(t.due)} due, ${fmt(t.notDue)} not due)…`);
    seeding.set(t, await seed(t, endpoint));
  }
  say(
    `collection: due-index reads, ${ROUNDS} rounds alternated over ${tables.map((t) => t.name).join(', ')}…`,
  );
  const reads = await alternatedReads(tables, endpoint);
  registerLocalCollection();
  const collected = new Map<Table, Collected>();
  // due/10 first: it warms the pipeline up, so that 1x (collected next) does not pay for that.
  for (const t of [tables[2], tables[0], tables[1]] as Table[]) {
    say(`collection: collecting ${t.name} through the local pipeline…`);
    collected.set(t, await collect(t, endpoint));
  }
  return { tables, seeding, reads, collected };
}

/** The median of each read figure over the rounds (they are counts: equal in every round). */
function medianReads(reads: TimedReads[]): Omit<IndexReads, 'observed'> & { ms: number } {
  return {
    due: median(reads.map((r) => r.due)),
    itemsRead: median(reads.map((r) => r.itemsRead)),
    partitions: median(reads.map((r) => r.partitions)),
    readUnits: median(reads.map((r) => r.readUnits)),
    ms: median(reads.map((r) => r.ms)),
  };
}

/** Rows: seeding rate, the scaling budget, read growth with the due count, the read time ratio. */
function readRows(r: CollectionBenchResult): BenchRow[] {
  const [oneX, tenX, tenth] = r.tables as [Table, Table, Table];
  const get = (t: Table) => medianReads(r.reads.get(t) ?? []);
  const [a, b, c] = [get(oneX), get(tenX), get(tenth)];
  const seeded = [...r.seeding.values()].reduce((s, x) => ({
    items: s.items + x.items,
    seconds: s.seconds + x.seconds,
  }));
  const timeRatios = (r.reads.get(oneX) ?? []).map(
    (x, i) => (r.reads.get(tenX)?.[i]?.ms ?? Number.NaN) / x.ms,
  );
  return [
    row(S, 'seeding (BatchWriteItem, 8 in flight)', seeded.items / seeded.seconds, 'items/s', {
      note: `${fmt(seeded.items)} items in ${seeded.seconds.toFixed(0)} s, 3 databases`,
    }),
    ...dueIndexScalingRows(
      S,
      'due installment',
      { ...a, table: `${a.due} due, ${oneX.notDue} not due` },
      { ...b, table: `${b.due} due, ${tenX.notDue} not due` },
    ),
    row(
      S,
      'installments due not found (all tables)',
      oneX.due + tenX.due + tenth.due - a.due - b.due - c.due,
      'count',
      {
        budget: 0,
      },
    ),
    row(
      S,
      'index items read but not due (all tables)',
      [a, b, c].reduce((n, x) => n + x.itemsRead - x.due - x.partitions, 0),
      'items',
      {
        budget: 0,
        note: 'beyond the due ones and one per non-empty (day, shard) check',
      },
    ),
    row(
      S,
      `due-index RCU, ${oneX.due} due / ${tenth.due} due`,
      a.readUnits / Math.max(0.001, c.readUnits),
      'x',
      {
        note: `${a.readUnits} vs ${c.readUnits} RCU; ${a.itemsRead} vs ${c.itemsRead} index items (grows with the due count)`,
      },
    ),
    row(S, 'due-index read time 10x / 1x', median(timeRatios), 'x', {
      note: `median of ${timeRatios.length} alternated pairs; ${a.ms.toFixed(0)} vs ${b.ms.toFixed(0)} ms (absolute, machine-dependent)`,
    }),
  ];
}

/** Rows: the whole pipeline on the 1x and 10x tables, and the cost per collected installment (1x). */
function pipelineRows(r: CollectionBenchResult): BenchRow[] {
  const [oneX, tenX] = r.tables as [Table, Table];
  const one = r.collected.get(oneX);
  const ten = r.collected.get(tenX);
  if (!one || !ten) return [];
  const per = perOperation(one.cost, Math.max(1, one.paid));
  const rate = (c: Collected) => c.paid / Math.max(0.001, c.seconds);
  return [
    row(S, 'installments due not paid (1x + 10x)', oneX.due + tenX.due - one.paid - ten.paid, 'count', {
      budget: 0,
    }),
    row(S, 'installments charged twice (1x + 10x)', one.chargedTwice + ten.chargedTwice, 'count', {
      budget: 0,
    }),
    row('cost per operation', 'collected installment: DynamoDB calls', per.total, 'calls', {
      note: Object.entries(per.calls)
        .map(([n, c]) => `${n.replace(/Command$/, '')} ${c.toFixed(2)}`)
        .join(', '),
    }),
    row('cost per operation', 'collected installment: read units', per.readUnits, 'RCU'),
    row('cost per operation', 'collected installment: write units', per.writeUnits, 'WCU'),
    row('throughput', `installments collected, 1x (${oneX.notDue} not due)`, rate(one), '/s', {
      note: `${one.paid} paid in ${one.seconds.toFixed(1)} s, whole local pipeline, processor stubbed`,
    }),
    row('throughput', `installments collected, 10x (${tenX.notDue} not due)`, rate(ten), '/s', {
      note: `${ten.paid} paid in ${ten.seconds.toFixed(1)} s; one run each, due/10 (warm-up), 1x, then 10x`,
    }),
  ];
}

/** The rows of the bench table; the budget: read units per due installment at 10x within 1.1x of 1x. */
export async function run(endpoint: string): Promise<BenchRow[]> {
  say(
    `collection: ${DUE} installments due, ${NOT_DUE} and ${NOT_DUE * 10} not due (seeding DynamoDB Local)…`,
  );
  const r = await collectionBench(endpoint);
  return [...readRows(r), ...pipelineRows(r)];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { startDynamoDbLocal } = await import('../../infra/local/dynamodb-local.ts');
  const { logger } = await import('../../functions/lib/logger.ts');
  logger.setLogLevel('WARN');
  const dynamo = await startDynamoDbLocal({ inMemory: true }, { startTimeoutMs: 180_000, sharedDb: false });
  try {
    console.table(await run(dynamo.endpoint));
  } finally {
    await dynamo.stop();
  }
}
