import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { SHARD_PAGE_SIZE } from '../../functions/collection/shard.ts';
import { resetConfig } from '../../functions/lib/config.ts';
import { resetDdb } from '../../functions/lib/dynamodb.ts';
import { DUE_SHARDS } from '../../functions/orders/collection-face.ts';
import { createTables, tableEnv } from '../../infra/local/bootstrap-tables.ts';
import { type IndexReads, measureIndexReads, seedInstallments } from '../support/collection-scale.ts';

// The scale rule of ARCHITECTURE.md (Collection), small enough for npm test: what a run reads from
// the due index grows with the installments due and stays flat when the table holds 10x more that
// are not due. The bench (`npm run bench`) runs the same measure at a larger size.
const AS_OF = '2026-06-15';
let admin: DynamoDBClient;
beforeAll(() => {
  admin = new DynamoDBClient({ endpoint: inject('dynamodbEndpoint'), region: 'us-east-1' });
});
afterAll(() => admin.destroy());

/** A fresh set of tables, seeded, then one run's reads measured. */
async function scenario(due: number, notDue: number): Promise<IndexReads> {
  const prefix = `s${randomBytes(4).toString('hex')}-`;
  Object.assign(process.env, tableEnv(prefix), { DYNAMODB_ENDPOINT: inject('dynamodbEndpoint') });
  resetConfig();
  resetDdb();
  await createTables(admin, prefix);
  await seedInstallments(AS_OF, { due, notDue });
  return measureIndexReads(AS_OF);
}

describe('collection reads only what is due', { timeout: 900_000 }, () => {
  it('flat in the not-due count (10x), growing with the due count', async () => {
    // npm test: 50 due against 200 and 2,000 not due; `npm run test:reliability`: 10x that.
    const n = process.env.RELIABILITY === '1' ? 10 : 1;
    const base = await scenario(50 * n, 200 * n);
    const tenfold = await scenario(50 * n, 2_000 * n);
    const doubleDue = await scenario(100 * n, 200 * n);
    expect(base.due).toBe(50 * n);
    expect(tenfold.due).toBe(50 * n);
    expect(doubleDue.due).toBe(100 * n);
    // The due installments, plus one item per non-empty (day, shard) emptiness check: nothing else.
    // (Which shards hold one of 50 random ids varies: an empty shard, about 1 run in 100, reads one
    // item less, so the two tables are compared through what each read beyond that, not directly.)
    for (const r of [base, tenfold, doubleDue]) {
      expect(r.partitions).toBeLessThanOrEqual(DUE_SHARDS);
      expect(r.itemsRead).toBe(r.due + r.partitions);
    }
    // What the client was seen to send agrees: Queries on the due index and one GetItem (the run's
    // watermark), no Scan; nothing read beyond what the code reports but that one item.
    for (const r of [base, tenfold, doubleDue]) {
      const { GetItemCommand = 0, QueryCommand = 0, ...writes } = r.observed.calls;
      expect(Object.keys(writes).filter((c) => !/Put|Update|Delete|TransactWrite/.test(c))).toEqual([]);
      expect(GetItemCommand).toBe(1);
      // One emptiness check per shard, then the pages of each non-empty one: bounded by the due
      // count, whatever the table holds besides.
      expect(QueryCommand).toBeGreaterThanOrEqual(DUE_SHARDS + r.partitions);
      expect(QueryCommand).toBeLessThanOrEqual(
        DUE_SHARDS + r.partitions + Math.floor(r.due / SHARD_PAGE_SIZE),
      );
      expect(r.observed.readUnits - r.readUnits).toBeLessThanOrEqual(1);
    }
    // Read units round up per Query (4 KB steps), and shard sizes vary with the random ids: equal
    // within that rounding, where reading the 1,800 extra items would cost hundreds of units.
    expect(Math.abs(tenfold.observed.readUnits - base.observed.readUnits)).toBeLessThanOrEqual(
      base.observed.readUnits * 0.25,
    );
    expect(base.readUnits).toBeGreaterThan(0);
    expect(doubleDue.itemsRead).toBeGreaterThan(base.itemsRead + 45 * n);
    expect(doubleDue.readUnits).toBeGreaterThan(base.readUnits);
  });
});
