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
import { resetDdb } from '../../functions/lib/dynamodb.ts';
import { type CardProcessor, setCardProcessor } from '../../functions/payments/processor.ts';
import { createTables, tableEnv } from '../../infra/local/bootstrap-tables.ts';
import { registerLocalCollection } from '../../infra/local/collection.ts';
import { type IndexReads, measureIndexReads, seedInstallments } from '../support/collection-scale.ts';

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
    AWS_ACCESS_KEY_ID: 'local',
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
}

export async function collectionBench(endpoint: string): Promise<CollectionBenchResult> {
  await freshTables(endpoint);
  await seedInstallments(AS_OF, { due: DUE, notDue: NOT_DUE });
  const oneX = await measureIndexReads(AS_OF);
  // The whole pipeline on the 1x table.
  registerLocalCollection();
  setCardProcessor(stub);
  const run = await runCollection(AS_OF, fixedClock(`${AS_OF}T10:00:00Z`));
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
    installmentsPerSecond: run.paid / ((run.durationMs ?? 1) / 1000),
  };
}

/** Prints the figures; the budget: read units per due installment at 10x within 1.1x of 1x. */
export async function run(endpoint: string): Promise<boolean> {
  process.stdout.write(
    `collection: ${DUE} installments due, ${NOT_DUE} and ${NOT_DUE * 10} not due (seeding DynamoDB Local)…\n`,
  );
  const r = await collectionBench(endpoint);
  const per = (x: IndexReads) => x.readUnits / Math.max(1, x.due);
  const line = (label: string, x: IndexReads) =>
    `  ${label}: ${x.due} due found, ${x.itemsRead} index items read, ${x.readUnits.toFixed(1)} RCU, ${per(x).toFixed(3)} RCU per due installment\n`;
  process.stdout.write(line('1x ', r.oneX));
  process.stdout.write(line('10x', r.tenX));
  const ratio = per(r.tenX) / per(r.oneX);
  const ok = ratio <= 1.1 && r.tenX.itemsRead === r.oneX.itemsRead;
  process.stdout.write(
    `  ${ok ? 'ok  ' : 'OVER'} read units per due installment 10x/1x ${ratio.toFixed(2)}x (budget 1.1x), items read ${r.oneX.itemsRead} vs ${r.tenX.itemsRead}\n`,
  );
  process.stdout.write(
    `  pipeline: ${r.paid} installments collected at ${r.installmentsPerSecond.toFixed(0)} installments/s (local, processor stubbed)\n`,
  );
  return ok;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { startDynamoDbLocal } = await import('../../infra/local/dynamodb-local.ts');
  const dynamo = await startDynamoDbLocal({ inMemory: true });
  try {
    process.exitCode = (await run(dynamo.endpoint)) ? 0 : 1;
  } finally {
    await dynamo.stop();
  }
}
