/**
 * Collection budget (ARCHITECTURE.md "Performance budgets", Collection): the cost of a run grows with
 * the installments due, not with the table. Seeds DUE installments due on one day and NOT_DUE others
 * (half indexed on later days, half paid), measures the due-index reads of a steady-state run at 1x
 * and at 10x NOT_DUE, then runs the whole local pipeline (dispatcher, shard workers, chargers over the
 * in-process queues; the card processor stubbed, so no vault) for installments per second.
 *
 * Sizes: COLLECTION_BENCH_DUE (default 1,000) and COLLECTION_BENCH_NOT_DUE (default 5,000; the 10x
 * table holds ten times that). The 10,000 / 100,000 take minutes to seed on DynamoDB Local.
 * `npm run bench` calls `run(endpoint)`; `node test/bench/collection.ts` runs it on its own.
 */
import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { runCollection } from '../../functions/collection/run.ts';
import { fixedClock } from '../../functions/lib/clock.ts';
import { resetConfig } from '../../functions/lib/config.ts';
import { ddb, resetDdb } from '../../functions/lib/dynamodb.ts';
import { type CardProcessor, setCardProcessor } from '../../functions/payments/processor.ts';
import { createTables, tableEnv } from '../../infra/local/bootstrap-tables.ts';
import { registerLocalCollection } from '../../infra/local/collection.ts';
import { type IndexReads, measureIndexReads, seedInstallments } from '../support/collection-scale.ts';
import {
  type BenchRow,
  type DdbCost,
  ddbCounter,
  dueIndexScalingRows,
  perOperation,
  row,
} from './support.ts';

const AS_OF = '2026-06-15';
const DUE = Number(process.env.COLLECTION_BENCH_DUE ?? 1_000);
const NOT_DUE = Number(process.env.COLLECTION_BENCH_NOT_DUE ?? 5_000);

const stub: CardProcessor = {
  charge: async (request) => ({ status: 'succeeded', chargeId: `bench_${request.idempotencyKey}` }),
  refund: async () => ({ status: 'succeeded', refundId: 'bench_refund' }),
  chargeOutcome: async () => undefined,
};

async function freshTables(endpoint: string): Promise<void> {
  const prefix = `c${randomBytes(3).toString('hex')}-`;
  // DynamoDB Local takes any credentials; never pick up real ones.
  Object.assign(process.env, tableEnv(prefix), {
    DYNAMODB_ENDPOINT: endpoint,
    // The section's own database (run.ts); `local` when run on its own.
    AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_REGION: process.env.AWS_REGION ?? 'us-east-1',
  });
  resetConfig();
  resetDdb();
  const admin = new DynamoDBClient({ endpoint, region: 'us-east-1' });
  await createTables(admin, prefix);
  admin.destroy();
}

export interface CollectionBenchResult {
  due: number;
  notDue: number;
  oneX: IndexReads;
  tenX: IndexReads;
  installmentsPerSecond: number;
  paid: number;
  /** DynamoDB calls and capacity of the whole run, per collected installment. */
  perInstallment: DdbCost;
}

export async function collectionBench(endpoint: string): Promise<CollectionBenchResult> {
  await freshTables(endpoint);
  await seedInstallments(AS_OF, { due: DUE, notDue: NOT_DUE });
  const oneX = await measureIndexReads(AS_OF);
  // The whole pipeline on the 1x table.
  registerLocalCollection();
  setCardProcessor(stub);
  const counter = ddbCounter(ddb());
  counter.start();
  const run = await runCollection(AS_OF, fixedClock(`${AS_OF}T10:00:00Z`));
  const cost = counter.stop();
  counter.detach();
  setCardProcessor(undefined);

  await freshTables(endpoint);
  await seedInstallments(AS_OF, { due: DUE, notDue: NOT_DUE * 10 });
  const tenX = await measureIndexReads(AS_OF);
  return {
    due: DUE,
    notDue: NOT_DUE,
    oneX,
    tenX,
    paid: run.paid,
    perInstallment: perOperation(cost, Math.max(1, run.paid)),
    installmentsPerSecond: run.paid / ((run.durationMs ?? 1) / 1000),
  };
}

/** The rows of the bench table; the budget: read units per due installment at 10x within 1.1x of 1x. */
export async function run(endpoint: string): Promise<BenchRow[]> {
  process.stdout.write(
    `collection: ${DUE} installments due, ${NOT_DUE} and ${NOT_DUE * 10} not due (seeding DynamoDB Local)…\n`,
  );
  const r = await collectionBench(endpoint);
  return [
    ...dueIndexScalingRows(
      'collection scaling',
      'due installment',
      { ...r.oneX, table: `${NOT_DUE} not due` },
      { ...r.tenX, table: `${NOT_DUE * 10} not due` },
    ),
    row('cost per operation', 'collected installment: DynamoDB calls', r.perInstallment.total, 'calls', {
      note: Object.entries(r.perInstallment.calls)
        .map(([n, c]) => `${n.replace(/Command$/, '')} ${c.toFixed(2)}`)
        .join(', '),
    }),
    row('cost per operation', 'collected installment: read units', r.perInstallment.readUnits, 'RCU'),
    row('cost per operation', 'collected installment: write units', r.perInstallment.writeUnits, 'WCU'),
    row('throughput', 'installments collected', r.installmentsPerSecond, '/s', {
      note: `${r.paid} paid, whole local pipeline, processor stubbed`,
    }),
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { startDynamoDbLocal } = await import('../../infra/local/dynamodb-local.ts');
  const dynamo = await startDynamoDbLocal({ inMemory: true });
  try {
    console.table(await run(dynamo.endpoint));
  } finally {
    await dynamo.stop();
  }
}
