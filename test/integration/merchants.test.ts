import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { fixedClock } from '../../functions/lib/clock.ts';
import { resetConfig } from '../../functions/lib/config.ts';
import { resetDdb } from '../../functions/lib/dynamodb.ts';
import { ApiError } from '../../functions/lib/errors.ts';
import { merchantAccess } from '../../functions/merchants/auth.ts';
import { createMerchant, hashApiKey, rotateApiKey, setStatus } from '../../functions/merchants/service.ts';
import { getApiKey, getMerchant, replaceApiKey, updateStatus } from '../../functions/merchants/store.ts';
import { createTables, tableEnv } from '../../infra/local/bootstrap-tables.ts';

beforeAll(async () => {
  const prefix = `m${randomBytes(4).toString('hex')}-`;
  const endpoint = inject('dynamodbEndpoint');
  Object.assign(process.env, tableEnv(prefix), { DYNAMODB_ENDPOINT: endpoint });
  resetConfig();
  resetDdb();
  await createTables(new DynamoDBClient({ endpoint, region: 'us-east-1' }), prefix);
});

const asEvent = (key: string) =>
  ({ headers: { authorization: `Bearer ${key}` } }) as unknown as APIGatewayProxyEvent;
const clock = fixedClock('2026-03-01T12:00:00Z');

describe('merchants against DynamoDB Local', () => {
  it('stores the key only as its SHA-256 and authenticates with one consistent read', async () => {
    const created = await createMerchant({ name: 'Int' }, clock);
    const record = await getApiKey(hashApiKey(created.apiKey));
    expect(record).toMatchObject({ merchantId: created.id, status: 'active' });
    expect(await merchantAccess(asEvent(created.apiKey), 'req_1')).toEqual({
      merchantId: created.id,
      livemode: false,
    });
    const stored = await getMerchant(created.id);
    expect(JSON.stringify(stored)).not.toContain(created.apiKey);
    expect(stored?.createdAt).toBe('2026-03-01T12:00:00.000Z');
  });

  it('a stale version loses: the conditional write rejects it with 409 and changes nothing', async () => {
    const created = await createMerchant({ name: 'Stale' }, clock);
    const v1 = await getMerchant(created.id);
    if (!v1) throw new Error('missing');
    await setStatus(created.id, 'suspended', clock); // now version 2
    const error = await updateStatus(v1, 'active', '2026-03-01T12:00:01Z').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(409);
    expect((await getMerchant(created.id))?.status).toBe('suspended');
    // The key item mirrors the status, all-or-nothing.
    expect((await getApiKey(v1.apiKeyHash))?.status).toBe('suspended');
  });

  it('a suspended merchant is refused at once with merchant_suspended', async () => {
    const created = await createMerchant({ name: 'Suspend' }, clock);
    await setStatus(created.id, 'suspended', clock);
    await expect(merchantAccess(asEvent(created.apiKey), 'r')).rejects.toMatchObject({
      status: 403,
      code: 'merchant_suspended',
    });
  });

  it('rotation replaces the key atomically; a replayed stale rotation cannot resurrect the old key', async () => {
    const created = await createMerchant({ name: 'Rotate' }, clock);
    const before = await getMerchant(created.id);
    if (!before) throw new Error('missing');
    const rotated = await rotateApiKey(created.id, clock);
    await expect(merchantAccess(asEvent(created.apiKey), 'r')).rejects.toMatchObject({ status: 401 });
    await expect(merchantAccess(asEvent(rotated.apiKey), 'r')).resolves.toMatchObject({
      merchantId: created.id,
    });
    const replay = await replaceApiKey(before, { ...before, apiKeyHash: 'f'.repeat(64), version: 2 }).catch(
      (e) => e,
    );
    expect((replay as ApiError).status).toBe(409);
    expect(await getApiKey('f'.repeat(64))).toBeUndefined();
  });
});
