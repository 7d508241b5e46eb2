import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { fixedClock } from '../../functions/lib/clock.ts';
import { resetConfig } from '../../functions/lib/config.ts';
import { resetDdb } from '../../functions/lib/dynamodb.ts';
import { ApiError } from '../../functions/lib/errors.ts';
import { listMerchants, setStatus } from '../../functions/merchants/compliance.ts';
import { createMerchant, rotateApiKey } from '../../functions/merchants/service.ts';
import { getMerchant } from '../../functions/merchants/store.ts';
import { setUsageKeys } from '../../functions/merchants/usage-keys.ts';
import type { UsageKeyRequest, UsageKeys } from '../../functions/merchants/usage-keys-port.ts';
import { createTables, tableEnv } from '../../infra/local/bootstrap-tables.ts';

/** A recording usage-key service; `onIssue` runs inside `issue` (to fail it, or to race it). */
class FakeUsageKeys implements UsageKeys {
  issued: Array<UsageKeyRequest & { id: string }> = [];
  revoked: string[] = [];
  onIssue: (request: UsageKeyRequest) => Promise<void> = async () => {};
  failRevoke = false;

  async issue(request: UsageKeyRequest): Promise<string> {
    await this.onIssue(request);
    const id = `key${this.issued.length + 1}`;
    this.issued.push({ ...request, id });
    return id;
  }

  async revoke(id: string): Promise<void> {
    if (this.failRevoke) throw new Error('API Gateway unavailable');
    this.revoked.push(id);
  }
}

const clock = fixedClock('2026-03-01T12:00:00Z');
let keys: FakeUsageKeys;
let tables: ReturnType<typeof tableEnv>;

beforeAll(async () => {
  const prefix = `u${randomBytes(4).toString('hex')}-`;
  const endpoint = inject('dynamodbEndpoint');
  tables = tableEnv(prefix);
  Object.assign(process.env, tables, { DYNAMODB_ENDPOINT: endpoint, STAGE: 'dev' });
  resetConfig();
  resetDdb();
  await createTables(new DynamoDBClient({ endpoint, region: 'us-east-1' }), prefix);
});
beforeEach(() => {
  keys = new FakeUsageKeys();
  setUsageKeys(keys);
});
afterAll(() => {
  setUsageKeys(undefined);
  delete process.env.STAGE;
  resetConfig();
});

const allMerchantIds = async () => (await listMerchants({ limit: 100 })).data.map((m) => m.id);

describe('usage keys at onboarding (DynamoDB Local, a recording key service)', () => {
  it('issues the key onto the plan at creation, stores its id only and returns its value once', async () => {
    const created = await createMerchant({ name: 'Keyed' }, clock, 'system:test');
    expect(keys.issued).toEqual([
      expect.objectContaining({ merchantId: created.id, name: `tessera-dev-${created.id}-1`, id: 'key1' }),
    ]);
    const value = keys.issued[0]?.value ?? '';
    expect(value).toMatch(/^[0-9a-f]{48}$/);
    expect(created.usageKey).toBe(value);
    const stored = await getMerchant(created.id);
    expect(stored?.usageKeyId).toBe('key1');
    expect(JSON.stringify(stored)).not.toContain(value);
    expect(created).not.toHaveProperty('usageKeyId');
  });

  it('a failed issue writes nothing: no merchant exists without its key', async () => {
    const before = await allMerchantIds();
    keys.onIssue = async () => {
      throw new Error('TooManyRequestsException');
    };
    await expect(createMerchant({ name: 'Never' }, clock)).rejects.toThrow('TooManyRequestsException');
    expect(await allMerchantIds()).toEqual(before);
  });

  it('a failed write revokes the key just issued: no key outlives a merchant never created', async () => {
    process.env.TABLE_NAME = `${tables.TABLE_NAME}-missing`;
    resetConfig();
    try {
      await expect(createMerchant({ name: 'Lost' }, clock)).rejects.toThrow();
    } finally {
      process.env.TABLE_NAME = tables.TABLE_NAME;
      resetConfig();
    }
    expect(keys.issued).toHaveLength(1);
    expect(keys.revoked).toEqual([keys.issued[0]?.id]);
  });

  it('rotation issues a new key, records it, then deletes the old one', async () => {
    const created = await createMerchant({ name: 'Rotates' }, clock);
    const rotated = await rotateApiKey(created.id, clock);
    expect(keys.issued.map((k) => k.name)).toEqual([
      `tessera-dev-${created.id}-1`,
      `tessera-dev-${created.id}-2`,
    ]);
    expect(rotated.usageKey).toBe(keys.issued[1]?.value);
    expect((await getMerchant(created.id))?.usageKeyId).toBe('key2');
    expect(keys.revoked).toEqual(['key1']);
  });

  it('a rotation that loses its write deletes the new key and keeps the old one', async () => {
    const created = await createMerchant({ name: 'Races' }, clock);
    // An operator suspends the merchant while the new key is being issued: the rotation's version is stale.
    keys.onIssue = async (request) => {
      if (request.name.endsWith('-2')) await setStatus(created.id, 'suspended', clock);
    };
    const error = await rotateApiKey(created.id, clock).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(409);
    expect(keys.revoked).toEqual(['key2']);
    expect((await getMerchant(created.id))?.usageKeyId).toBe('key1');
  });

  it('rotation gives a merchant created before keys were required its first key', async () => {
    setUsageKeys(undefined);
    const created = await createMerchant({ name: 'Old' }, clock);
    expect(created.usageKey).toBeUndefined();
    expect((await getMerchant(created.id))?.usageKeyId).toBeUndefined();
    setUsageKeys(keys);
    const rotated = await rotateApiKey(created.id, clock);
    expect(rotated.usageKey).toBe(keys.issued[0]?.value);
    expect((await getMerchant(created.id))?.usageKeyId).toBe('key1');
    expect(keys.revoked).toEqual([]);
  });

  it('an old key that cannot be deleted after the rotation committed is logged, not an error', async () => {
    const created = await createMerchant({ name: 'Sticky' }, clock);
    keys.failRevoke = true;
    const rotated = await rotateApiKey(created.id, clock);
    expect(rotated.usageKey).toBe(keys.issued[1]?.value);
    expect((await getMerchant(created.id))?.usageKeyId).toBe('key2');
  });
});
