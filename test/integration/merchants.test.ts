import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { fixedClock } from '../../functions/lib/clock.ts';
import { resetConfig } from '../../functions/lib/config.ts';
import { ddb, resetDdb, tableName } from '../../functions/lib/dynamodb.ts';
import { ApiError } from '../../functions/lib/errors.ts';
import { merchantAccess } from '../../functions/merchants/auth.ts';
import { setStatus } from '../../functions/merchants/compliance.ts';
import { receiveKybCallback, startKybCheck } from '../../functions/merchants/kyb.ts';
import { signKybCallback } from '../../functions/merchants/kyb-signature.ts';
import { createMerchant, hashApiKey, rotateApiKey } from '../../functions/merchants/service.ts';
import {
  getApiKey,
  getMerchant,
  replaceApiKey,
  statusChangeItems,
  writeItems,
} from '../../functions/merchants/store.ts';
import { createTables, tableEnv } from '../../infra/local/bootstrap-tables.ts';
import { createActiveMerchant } from '../support/merchants.ts';

beforeAll(async () => {
  const prefix = `m${randomBytes(4).toString('hex')}-`;
  const endpoint = inject('dynamodbEndpoint');
  Object.assign(process.env, tableEnv(prefix), {
    DYNAMODB_ENDPOINT: endpoint,
    // The local secrets (the KYB sandbox signs its callbacks with a key derived from one).
    TESSERA_LOCAL: '1',
    TESSERA_DATA_DIR: mkdtempSync(join(tmpdir(), 'tessera-merchants-')),
  });
  resetConfig();
  resetDdb();
  await createTables(new DynamoDBClient({ endpoint, region: 'us-east-1' }), prefix);
});

const asEvent = (key: string) =>
  ({ headers: { authorization: `Bearer ${key}` } }) as unknown as APIGatewayProxyEvent;
const clock = fixedClock('2026-03-01T12:00:00Z');

describe('merchants against DynamoDB Local', () => {
  it('stores the key only as its SHA-256 and authenticates with one consistent read', async () => {
    const created = await createActiveMerchant({ name: 'Int' }, clock);
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
    const created = await createActiveMerchant({ name: 'Stale' }, clock);
    const v1 = await getMerchant(created.id);
    if (!v1) throw new Error('missing');
    await setStatus(created.id, 'suspended', clock); // now version 3
    const error = await writeItems(statusChangeItems(v1, 'active', '2026-03-01T12:00:01Z')).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(409);
    expect((await getMerchant(created.id))?.status).toBe('suspended');
    // The key item mirrors the status, all-or-nothing.
    expect((await getApiKey(v1.apiKeyHash))?.status).toBe('suspended');
  });

  it('a suspended merchant is refused at once with merchant_suspended', async () => {
    const created = await createActiveMerchant({ name: 'Suspend' }, clock);
    await setStatus(created.id, 'suspended', clock);
    await expect(merchantAccess(asEvent(created.apiKey), 'r')).rejects.toMatchObject({
      status: 403,
      code: 'merchant_suspended',
    });
  });

  it('rotation replaces the key atomically; a replayed stale rotation cannot resurrect the old key', async () => {
    const created = await createActiveMerchant({ name: 'Rotate' }, clock);
    const before = await getMerchant(created.id);
    if (!before) throw new Error('missing');
    const rotated = await rotateApiKey(created.id, clock);
    await expect(merchantAccess(asEvent(created.apiKey), 'r')).rejects.toMatchObject({ status: 401 });
    await expect(merchantAccess(asEvent(rotated.apiKey), 'r')).resolves.toMatchObject({
      merchantId: created.id,
    });
    const replay = await replaceApiKey(before, { ...before, apiKeyHash: 'f'.repeat(64), version: 3 }).catch(
      (e) => e,
    );
    expect((replay as ApiError).status).toBe(409);
    expect(await getApiKey('f'.repeat(64))).toBeUndefined();
  });
});

const auditOf = async (merchantId: string) => {
  const { Items } = await ddb().send(
    new QueryCommand({
      TableName: tableName(),
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': `AUDIT#${merchantId}` },
    }),
  );
  return (Items ?? []).map((i) => ({ action: i.action, actor: i.actor, reason: i.reason }));
};

const postEvent = (key: string, resource: string) =>
  ({
    httpMethod: 'POST',
    resource,
    path: resource,
    headers: { authorization: `Bearer ${key}` },
  }) as unknown as APIGatewayProxyEvent;

describe('merchant compliance', () => {
  it('a new merchant is pending_review: it may read and set up, and is refused every payment write', async () => {
    const created = await createMerchant({ name: 'Fresh' }, clock, 'arn:op:alice');
    expect(created.status).toBe('pending_review');
    await expect(
      merchantAccess({ ...postEvent(created.apiKey, '/v1/config'), httpMethod: 'GET' }, 'r'),
    ).resolves.toEqual({ merchantId: created.id, livemode: false });
    await expect(
      merchantAccess(postEvent(created.apiKey, '/v1/webhook-endpoints'), 'r'),
    ).resolves.toBeDefined();
    for (const path of [
      '/v1/checkout-sessions',
      '/v1/orders',
      '/v1/orders/{id}/captures',
      '/v1/orders/{id}/refunds',
    ]) {
      await expect(merchantAccess(postEvent(created.apiKey, path), 'r')).rejects.toMatchObject({
        status: 403,
        code: 'merchant_pending_review',
      });
    }
  });

  it('operator approval, suspension and rejection are audited with the operator and reason', async () => {
    const a = await createMerchant({ name: 'Audited' }, clock, 'arn:op:alice');
    await setStatus(a.id, 'active', clock, 'arn:op:bob');
    await setStatus(a.id, 'suspended', clock, 'arn:op:bob');
    const b = await createMerchant({ name: 'Refused' }, clock, 'arn:op:alice');
    await setStatus(b.id, 'rejected', clock, 'arn:op:carol', 'Sanctions hit');
    await expect(merchantAccess(postEvent(b.apiKey, '/v1/orders'), 'r')).rejects.toMatchObject({
      code: 'merchant_rejected',
    });
    // A live merchant is suspended, never rejected.
    await expect(setStatus(a.id, 'rejected', clock, 'arn:op:bob', 'x')).rejects.toMatchObject({
      status: 409,
      code: 'merchant_not_pending_review',
    });
    // One fixed instant: the records' order within it is random, their set is not.
    expect((await auditOf(a.id)).map((e) => `${e.action} by ${e.actor}`).sort()).toEqual([
      'merchant.activated by arn:op:bob',
      'merchant.created by arn:op:alice',
      'merchant.suspended by arn:op:bob',
    ]);
    expect(await auditOf(b.id)).toContainEqual({
      action: 'merchant.rejected',
      actor: 'arn:op:carol',
      reason: 'Sanctions hit',
    });
  });

  it('the sandbox KYB decides by the registration number, by signed callback', async () => {
    const business = (registrationNumber: string) => ({
      legalName: 'Acme Ltd',
      registrationNumber,
      country: 'GB',
    });
    const approved = await createMerchant({ name: 'K1' }, clock, 'arn:op:alice');
    expect((await startKybCheck(approved.id, business('12345678'), 'arn:op:alice', clock)).status).toBe(
      'active',
    );
    const rejected = await createMerchant({ name: 'K2' }, clock, 'arn:op:alice');
    const r = await startKybCheck(rejected.id, business('99990000'), 'arn:op:alice', clock);
    expect(r).toMatchObject({ status: 'rejected', kyb: { status: 'rejected' } });
    const review = await createMerchant({ name: 'K3' }, clock, 'arn:op:alice');
    const v = await startKybCheck(review.id, business('55551111'), 'arn:op:alice', clock);
    expect(v).toMatchObject({ status: 'pending_review', kyb: { status: 'in_review' } });
    expect((await auditOf(approved.id)).map((e) => `${e.action} by ${e.actor}`).sort()).toEqual([
      'merchant.activated by system:kyb:sandbox',
      'merchant.created by arn:op:alice',
      'merchant.kyb_started by arn:op:alice',
    ]);
  });

  it('a forged, stale or replayed KYB callback is refused and changes nothing', async () => {
    const merchant = await createMerchant({ name: 'K4' }, clock, 'arn:op:alice');
    const started = await startKybCheck(
      merchant.id,
      { legalName: 'Acme', registrationNumber: '77771111', country: 'GB' },
      'arn:op:alice',
      clock,
    );
    const checkId = started.kyb?.id as string;
    const body = JSON.stringify({
      id: 'kybevt_forged0001',
      checkId,
      decision: 'approved',
      reasons: [],
      created: clock.now().toISOString(),
    });
    const signature = await signKybCallback(body, clock.now());
    const forged = signature.replace(/v1=([0-9a-f])/, (_m, c: string) => `v1=${c === '0' ? '1' : '0'}`);
    await expect(receiveKybCallback(body, forged, clock)).rejects.toMatchObject({
      status: 400,
      code: 'callback_signature_invalid',
    });
    await expect(receiveKybCallback(body, undefined, clock)).rejects.toMatchObject({
      status: 400,
      code: 'callback_signature_invalid',
    });
    const stale = await signKybCallback(body, new Date(clock.now().getTime() - 301_000));
    await expect(receiveKybCallback(body, stale, clock)).rejects.toMatchObject({
      status: 400,
      code: 'callback_signature_invalid',
    });
    // The body signed for another check cannot be reused either: the MAC covers the bytes.
    await expect(
      receiveKybCallback(body.replace('approved', 'rejected'), signature, clock),
    ).rejects.toMatchObject({
      status: 400,
      code: 'callback_signature_invalid',
    });
    expect((await getMerchant(merchant.id))?.status).toBe('pending_review');

    await receiveKybCallback(body, signature, clock);
    expect((await getMerchant(merchant.id))?.status).toBe('active');
    await expect(receiveKybCallback(body, signature, clock)).rejects.toMatchObject({
      status: 409,
      code: 'callback_replayed',
    });
    const second = body.replace('kybevt_forged0001', 'kybevt_forged0002').replace('approved', 'rejected');
    await expect(
      receiveKybCallback(second, await signKybCallback(second, clock.now()), clock),
    ).rejects.toMatchObject({
      status: 409,
      code: 'kyb_check_decided',
    });
    expect((await getMerchant(merchant.id))?.status).toBe('active');
  });
});
