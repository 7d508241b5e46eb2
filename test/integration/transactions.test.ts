import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { resetConfig } from '../../functions/lib/config.ts';
import { resetDdb, tableName } from '../../functions/lib/dynamodb.ts';
import { ApiError } from '../../functions/lib/errors.ts';
import {
  conflictOnCancel,
  isCancellation,
  queryAll,
  type TransactItem,
  Transaction,
  writeTransaction,
} from '../../functions/lib/transactions.ts';
import { createTables, tableEnv } from '../../infra/local/bootstrap-tables.ts';

beforeAll(async () => {
  const prefix = `t${randomBytes(4).toString('hex')}-`;
  const endpoint = inject('dynamodbEndpoint');
  Object.assign(process.env, tableEnv(prefix), { DYNAMODB_ENDPOINT: endpoint });
  resetConfig();
  resetDdb();
  await createTables(new DynamoDBClient({ endpoint, region: 'us-east-1' }), prefix);
});

const pk = () => `TX#${randomBytes(6).toString('hex')}`;
const putNew = (key: string, sk: string, extra: Record<string, unknown> = {}): TransactItem => ({
  Put: {
    TableName: tableName(),
    Item: { pk: key, sk, ...extra },
    ConditionExpression: 'attribute_not_exists(pk)',
  },
});

async function failure(write: Promise<unknown>): Promise<unknown> {
  try {
    await write;
  } catch (error) {
    return error;
  }
  throw new Error('the write succeeded');
}

describe('Transaction', () => {
  it('names the part whose condition was lost, whatever its position', async () => {
    const key = pk();
    await writeTransaction([putNew(key, 'B')]);
    const tx = new Transaction<'a' | 'b' | 'c'>()
      .add('a', putNew(key, 'A1'), putNew(key, 'A2'))
      .add('b', putNew(key, 'B'))
      .add('c', putNew(key, 'C'));
    const cancelled = tx.cancellation(await failure(writeTransaction(tx.items)));
    expect(cancelled?.lost('b')).toBe(true);
    expect(cancelled?.failed('b')).toBe(true);
    expect(cancelled?.lost('a')).toBe(false);
    expect(cancelled?.lost('c')).toBe(false);
    expect(cancelled?.failed('a')).toBe(false);
  });

  it('keeps the names of a merged transaction and ignores items appended after it', async () => {
    const key = pk();
    await writeTransaction([putNew(key, 'D')]);
    const inner = new Transaction<'x' | 'dedupe'>()
      .add('x', putNew(key, 'X'))
      .add('dedupe', putNew(key, 'D'));
    const tx = new Transaction<'x' | 'dedupe' | 'audit'>().add('audit', putNew(key, 'Z')).addAll(inner);
    // As the idempotency kernel does: its own record goes last.
    const cancelled = tx.cancellation(await failure(writeTransaction([...tx.items, putNew(key, 'IDEM')])));
    expect(cancelled?.lost('dedupe')).toBe(true);
    expect(cancelled?.lost('x')).toBe(false);
    expect(cancelled?.lost('audit')).toBe(false);
  });

  it('reads no cancellation from another error', () => {
    const tx = new Transaction<'a'>();
    expect(tx.cancellation(new Error('boom'))).toBeUndefined();
    expect(isCancellation(new Error('boom'))).toBe(false);
  });
});

describe('conflictOnCancel', () => {
  it('turns a cancelled transaction into 409 concurrent_update and writes nothing', async () => {
    const key = pk();
    await writeTransaction([putNew(key, 'A')]);
    const error = await failure(
      conflictOnCancel(() => writeTransaction([putNew(key, 'B'), putNew(key, 'A')]), 'Changed; retry.'),
    );
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 409, code: 'concurrent_update', message: 'Changed; retry.' });
    expect(
      await queryAll({
        TableName: tableName(),
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': key },
      }),
    ).toHaveLength(1);
  });

  it('passes any other error through unchanged', async () => {
    const boom = new Error('boom');
    expect(await failure(conflictOnCancel(() => Promise.reject(boom), 'x'))).toBe(boom);
  });
});

describe('queryAll', () => {
  it('follows LastEvaluatedKey over every page', async () => {
    const key = pk();
    const sks = Array.from({ length: 7 }, (_, i) => `S${i}`);
    await writeTransaction(sks.map((sk) => putNew(key, sk)));
    const items = await queryAll({
      TableName: tableName(),
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': key },
      Limit: 2,
    });
    expect(items.map((item) => item.sk)).toEqual(sks);
  });
});
