import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { fixedClock, setClock } from '../../functions/lib/clock.ts';
import { resetConfig } from '../../functions/lib/config.ts';
import { resetDdb } from '../../functions/lib/dynamodb.ts';
import { DUE_SHARDS } from '../../functions/orders/collection-face.ts';
import { setCardProcessor } from '../../functions/payments/processor.ts';
import { createTables, tableEnv } from '../../infra/local/bootstrap-tables.ts';
import {
  countingProcessor,
  type RenewalRun,
  runRenewals,
  seedSubscriptions,
} from '../support/subscriptions-scale.ts';

// Issue 17: N subscriptions renewing on one day are collected in ONE run, each period charged once,
// and what the run reads from the due index grows with the renewals due, not with the table (10x
// more subscriptions renewing later cost nothing). N is 40 in npm test, 1,000 under RELIABILITY=1.
const LONG = process.env.RELIABILITY === '1';
const N = Number(process.env.SUBSCRIPTIONS_DUE ?? (LONG ? 1_000 : 40));
const AS_OF = '2026-09-30';
let admin: DynamoDBClient;
beforeAll(() => {
  admin = new DynamoDBClient({ endpoint: inject('dynamodbEndpoint'), region: 'us-east-1' });
  setClock(fixedClock(new Date(`${AS_OF}T06:00:00Z`)));
});
afterAll(() => {
  admin.destroy();
  setClock(undefined);
  setCardProcessor(undefined);
});

/** Fresh tables, seeded, one run: what it read and counted, and the charges the processor saw. */
async function scenario(due: number, notDue: number) {
  const prefix = `u${randomBytes(4).toString('hex')}-`;
  Object.assign(process.env, tableEnv(prefix), { DYNAMODB_ENDPOINT: inject('dynamodbEndpoint') });
  resetConfig();
  resetDdb();
  await createTables(admin, prefix);
  await seedSubscriptions(AS_OF, { due, notDue });
  const processor = countingProcessor();
  setCardProcessor(processor);
  const run: RenewalRun = await runRenewals(AS_OF);
  return { run, processor };
}

describe('subscriptions renewing on one day', { timeout: LONG ? 900_000 : 240_000 }, () => {
  it(`${N} are collected in one run, each charged once; reads grow with the due count only`, async () => {
    const { run, processor } = await scenario(N, 10 * N);
    expect(run.renewalsDue).toBe(N);
    expect(run.counts).toMatchObject({ 'renewals.renewed': N, paid: N, charged: N });
    expect(processor.keys.size).toBe(N);
    expect([...processor.keys.values()].every((n) => n === 1)).toBe(true);
    // The due renewals plus at most one item per (day, shard) emptiness check: nothing else.
    expect(run.itemsRead).toBeLessThanOrEqual(N + DUE_SHARDS);

    // Half the renewals due, the same table around them: the reads halve too.
    const half = await scenario(N / 2, 10 * N);
    expect(half.run.counts['renewals.renewed']).toBe(N / 2);
    expect(half.run.itemsRead).toBeLessThanOrEqual(N / 2 + DUE_SHARDS);
    expect(half.run.itemsRead).toBeLessThan(run.itemsRead);
    // No not-due subscription at all: the same reads as with 10x of them.
    // (Equal up to the emptiness checks: which shards hold a renewal varies with the random ids.)
    const bare = await scenario(N / 2, 0);
    for (const reads of [bare.run.itemsRead, half.run.itemsRead]) {
      expect(reads).toBeGreaterThanOrEqual(N / 2);
      expect(reads).toBeLessThanOrEqual(N / 2 + DUE_SHARDS);
    }
    expect(Math.abs(bare.run.readUnits - half.run.readUnits)).toBeLessThanOrEqual(half.run.readUnits * 0.25);

    // A second run the same day renews nothing: every subscription moved to its next period.
    const again = await runRenewals(AS_OF);
    expect(again.renewalsDue).toBe(0);
    expect(bare.processor.keys.size).toBe(N / 2);
  });
});
