/**
 * Subscription renewals at scale (issue 17; the same figure as collection scaling): what one run
 * reads from the due index per renewal due, with the table holding 1x and 10x as many subscriptions
 * renewing on later days, and renewals charged per second through the real charger handler (SQS
 * batches of 10, 4 at a time; the card processor a counting stub, so no vault).
 *
 * Sizes: SUBSCRIPTIONS_BENCH_DUE (default 1,000) renewing on one day, against as many (1x) and ten
 * times as many (10x) renewing on the 60 days after it.
 * `npm run bench` calls `run(endpoint)`; `node test/bench/subscriptions.ts` runs it on its own.
 */
import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { fixedClock, setClock } from '../../functions/lib/clock.ts';
import { resetConfig } from '../../functions/lib/config.ts';
import { resetDdb } from '../../functions/lib/dynamodb.ts';
import { setCardProcessor } from '../../functions/payments/processor.ts';
import { createTables, tableEnv } from '../../infra/local/bootstrap-tables.ts';
import {
  chargeRun,
  countingProcessor,
  type IndexReads,
  readRun,
  seedSubscriptions,
} from '../support/subscriptions-scale.ts';
import { type BenchRow, dueIndexScalingRows, row } from './support.ts';

const AS_OF = '2026-09-30';
const DUE = Number(process.env.SUBSCRIPTIONS_BENCH_DUE ?? 1_000);

async function freshTables(endpoint: string): Promise<void> {
  const prefix = `b${randomBytes(3).toString('hex')}-`;
  Object.assign(process.env, tableEnv(prefix), { DYNAMODB_ENDPOINT: endpoint });
  resetConfig();
  resetDdb();
  const admin = new DynamoDBClient({ endpoint, region: 'us-east-1' });
  await createTables(admin, prefix);
  admin.destroy();
}

/** Seeds `due` renewing on AS_OF and `notDue` later, then reads one run's due index. */
async function scenario(endpoint: string, notDue: number) {
  await freshTables(endpoint);
  await seedSubscriptions(AS_OF, { due: DUE, notDue });
  return readRun(AS_OF);
}

/** The rows of the bench table; the budget: read units per renewal at 10x within 1.1x of 1x. */
export async function run(endpoint: string): Promise<BenchRow[]> {
  process.stdout.write(
    `subscriptions: ${DUE} renewing on one day, ${DUE} and ${DUE * 10} renewing later (seeding DynamoDB Local)…\n`,
  );
  setClock(fixedClock(new Date(`${AS_OF}T06:00:00Z`)));
  const processor = countingProcessor();
  try {
    const tenX = await scenario(endpoint, DUE * 10);
    const oneX = await scenario(endpoint, DUE);
    setCardProcessor(processor);
    const started = performance.now();
    const counts = await chargeRun(oneX, 4);
    const seconds = (performance.now() - started) / 1000;
    const charged = counts.charged ?? 0;
    const twice = [...processor.keys.values()].filter((n) => n > 1).length;
    const S = 'subscription scaling';
    const reads = (x: { reads: IndexReads }, table: string) => ({
      ...x.reads,
      due: x.reads.renewalsDue,
      table,
    });
    return [
      ...dueIndexScalingRows(
        S,
        'renewal due',
        reads(oneX, `${DUE} renewing later`),
        reads(tenX, `${DUE * 10} renewing later`),
      ),
      row(
        S,
        'renewals due not found (1x + 10x)',
        2 * DUE - oneX.reads.renewalsDue - tenX.reads.renewalsDue,
        'count',
        {
          budget: 0,
        },
      ),
      row(S, 'renewals due not charged', DUE - charged, 'count', { budget: 0 }),
      row(S, 'periods charged twice', twice, 'count', { budget: 0 }),
      row('throughput', 'subscription renewals charged', charged / seconds, '/s', {
        note: `${charged} of ${DUE} charged in ${seconds.toFixed(1)} s, charger handler, 4 batches of 10 at a time, processor stubbed`,
      }),
    ];
  } finally {
    setCardProcessor(undefined);
    setClock(undefined);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { startDynamoDbLocal } = await import('../../infra/local/dynamodb-local.ts');
  Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local' });
  const dynamo = await startDynamoDbLocal({ inMemory: true });
  try {
    console.table(await run(dynamo.endpoint));
  } finally {
    await dynamo.stop();
  }
}
