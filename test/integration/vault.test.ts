import 'aws-sdk-client-mock-vitest/extend';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import {
  DecryptCommand,
  GenerateDataKeyCommand,
  InvalidCiphertextException,
  KMSClient,
  ReEncryptCommand,
} from '@aws-sdk/client-kms';
import { PutCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { resetConfig } from '../../functions/lib/config.ts';
import { ddb, resetDdb, vaultTableName } from '../../functions/lib/dynamodb.ts';
import { ApiError } from '../../functions/lib/errors.ts';
import { newId } from '../../functions/lib/ids.ts';
import { isDecryptionFailed, type KeyContext, setKeyService } from '../../functions/lib/key-service.ts';
import { KmsKeyService } from '../../functions/lib/key-service-kms.ts';
import { LocalKeyService } from '../../functions/lib/key-service-local.ts';
import { logger } from '../../functions/lib/logger.ts';
import { resetSecrets } from '../../functions/lib/secrets.ts';
import type { TransactItem } from '../../functions/lib/transactions.ts';
import { luhnValid } from '../../functions/vault/card.ts';
import { rewrapAll } from '../../functions/vault/rewrap.ts';
import type { AddCardBody } from '../../functions/vault/schema.ts';
import * as vault from '../../functions/vault/service.ts';
import { cardKey, WRAP_SHARDS, wrapShard } from '../../functions/vault/store.ts';
import { createTables, tableEnv } from '../../infra/local/bootstrap-tables.ts';
import { panLikeRuns } from '../support/pan-scan.ts';

const VISA = '4242424242424242';
const AMEX = '378282246310005';
const MASTERCARD = '5555555555554444';
const card = (number: string, overrides: Partial<AddCardBody> = {}): AddCardBody => ({
  number,
  expMonth: 12,
  expYear: 2034,
  cvc: number.startsWith('3') && number.length === 15 ? '7391' : '739',
  ...overrides,
});

let prefix: string;
let admin: DynamoDBClient;
let dataDir: string;

/** Own tables (a fresh prefix), so the re-wrap tests see only their own records. */
async function freshTables(): Promise<void> {
  prefix = `v${randomBytes(4).toString('hex')}-`;
  Object.assign(process.env, tableEnv(prefix));
  resetConfig();
  resetDdb();
  await createTables(admin, prefix);
}

beforeAll(async () => {
  const endpoint = inject('dynamodbEndpoint');
  dataDir = mkdtempSync(join(tmpdir(), 'tessera-vault-'));
  Object.assign(process.env, { DYNAMODB_ENDPOINT: endpoint, TESSERA_LOCAL: '1', TESSERA_DATA_DIR: dataDir });
  resetSecrets();
  setKeyService(undefined);
  // 1,000 tokenizations would print 1,000 info lines; the leak hunt (e2e) reads them instead.
  logger.setLogLevel('WARN');
  admin = new DynamoDBClient({ endpoint, region: 'us-east-1' });
  await freshTables();
});

let kmsMock: ReturnType<typeof mockClient> | undefined;
afterEach(() => {
  kmsMock?.restore();
  kmsMock = undefined;
  setKeyService(undefined);
});

const commit = async (items: TransactItem[]) => {
  if (items.length > 0) await ddb().send(new TransactWriteCommand({ TransactItems: items }));
};
const customer = () => `cus_${randomBytes(8).toString('hex').toUpperCase()}`;
const add = (customerId: string, input: AddCardBody) => vault.addCard(customerId, input, { commit });
const CHARGER = { actor: 'system:charger', reason: 'installment ins_01 attempt 1' };

async function scan(table: 'main' | 'vault'): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let startKey: Record<string, never> | undefined;
  do {
    const page = await admin.send(
      new ScanCommand({ TableName: `${prefix}${table}`, ExclusiveStartKey: startKey }),
    );
    for (const item of page.Items ?? []) items.push(unmarshall(item));
    startKey = page.LastEvaluatedKey as Record<string, never> | undefined;
  } while (startKey);
  return items;
}
const itemsOf = async (table: 'main' | 'vault', pk: string) =>
  (await scan(table)).filter((item) => String(item.pk) === pk);

async function caught(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

/** DynamoDB's item size: attribute names plus values (strings in UTF-8, numbers ~1 byte per 2 digits + 1). */
function dynamoItemBytes(item: Record<string, unknown>): number {
  const valueBytes = (value: unknown): number => {
    if (typeof value === 'string') return Buffer.byteLength(value, 'utf8');
    if (typeof value === 'number')
      return Math.ceil(String(Math.abs(value)).replace(/^0+|\./g, '').length / 2) + 1;
    if (typeof value === 'boolean' || value === null) return 1;
    if (Array.isArray(value)) return 3 + value.reduce<number>((n, v) => n + 1 + valueBytes(v), 0);
    if (typeof value === 'object')
      return 3 + Object.entries(value).reduce((n, [k, v]) => n + 1 + Buffer.byteLength(k) + valueBytes(v), 0);
    return 0;
  };
  return Object.entries(item).reduce((n, [k, v]) => n + Buffer.byteLength(k, 'utf8') + valueBytes(v), 0);
}

/**
 * A KMS stand-in behind aws-sdk-client-mock: blobs of the size KMS returns (184 bytes for a
 * 256-bit data key), ARN key ids, KeyMaterialId versions, and a wrong context failing like KMS.
 */
const KEY_ARN = 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
function fakeKms() {
  const kms = mockClient(KMSClient);
  kmsMock = kms as unknown as ReturnType<typeof mockClient>;
  const blobs = new Map<string, { key: Buffer; context: string; material: string }>();
  let material = 'material-1';
  const same = (context: KeyContext | undefined) => JSON.stringify(Object.entries(context ?? {}).sort());
  const invalid = () =>
    new InvalidCiphertextException({ message: 'invalid', $metadata: { httpStatusCode: 400 } });
  const wrap = (key: Buffer, context: KeyContext | undefined) => {
    const blob = randomBytes(184);
    blobs.set(blob.toString('hex'), { key, context: same(context), material });
    return blob;
  };
  kms.on(GenerateDataKeyCommand).callsFake((input) => {
    const key = randomBytes(32);
    return {
      Plaintext: new Uint8Array(key),
      CiphertextBlob: wrap(key, input.EncryptionContext),
      KeyId: KEY_ARN,
      KeyMaterialId: material,
    };
  });
  kms.on(DecryptCommand).callsFake((input) => {
    const entry = blobs.get(Buffer.from(input.CiphertextBlob ?? []).toString('hex'));
    if (!entry || entry.context !== same(input.EncryptionContext)) throw invalid();
    return { Plaintext: new Uint8Array(entry.key), KeyId: KEY_ARN, KeyMaterialId: entry.material };
  });
  kms.on(ReEncryptCommand).callsFake((input) => {
    const entry = blobs.get(Buffer.from(input.CiphertextBlob ?? []).toString('hex'));
    if (!entry || entry.context !== same(input.SourceEncryptionContext)) throw invalid();
    return {
      CiphertextBlob: wrap(entry.key, input.DestinationEncryptionContext),
      KeyId: KEY_ARN,
      SourceKeyMaterialId: entry.material,
      DestinationKeyMaterialId: material,
    };
  });
  const service = new KmsKeyService({
    client: new KMSClient({ region: 'us-east-1' }),
    sleep: async () => {},
  });
  setKeyService(service);
  return {
    kms,
    rotate(next: string) {
      material = next;
    },
  };
}

describe('tokenize and detokenize', () => {
  it('round trip: the charger gets the same PAN back, and the call is audited in the vault without it', async () => {
    const customerId = customer();
    const { created, card: saved } = await add(customerId, card(VISA));
    expect(created).toBe(true);
    expect(saved).toEqual({
      token: expect.stringMatching(/^tok_/),
      brand: 'visa',
      last4: '4242',
      expMonth: 12,
      expYear: 2034,
    });

    const out = await vault.detokenize(saved.token, CHARGER);
    expect(out.pan.toString('ascii')).toBe(VISA);
    expect(out).toMatchObject({ expMonth: 12, expYear: 2034, brand: 'visa', customerId });
    out.pan.fill(0);

    const audits = await itemsOf('vault', `AUDIT#${saved.token}`);
    expect(audits).toHaveLength(1);
    expect(audits[0]).toMatchObject({
      action: 'vault.detokenized',
      subject: saved.token,
      actor: CHARGER.actor,
      reason: CHARGER.reason,
      at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    expect(JSON.stringify(audits)).not.toContain(VISA);
    // The tokenization itself is audited in the main table, with brand and last 4 only.
    const added = await itemsOf('main', `AUDIT#${saved.token}`);
    expect(added).toMatchObject([
      { action: 'vault.card_added', actor: customerId, metadata: { brand: 'visa', last4: '4242' } },
    ]);
  });

  it('getCard: brand, last 4, expiry and fingerprint id for the owner; 404 for anyone else or any unknown token', async () => {
    const alice = customer();
    const { card: saved } = await add(alice, card(MASTERCARD));
    const summary = await vault.getCard(alice, saved.token);
    expect(summary).toEqual({ ...saved, fingerprintId: expect.stringMatching(/^fp_[A-Za-z0-9_-]{43}$/) });
    for (const attempt of [
      () => vault.getCard(customer(), saved.token),
      () => vault.getCard(alice, newId('token')),
    ]) {
      expect(await caught(attempt())).toMatchObject({ status: 404, code: 'resource_missing' });
    }
  });

  it('detokenize refuses an unknown token (404) and a call without actor or reason', async () => {
    expect(await caught(vault.detokenize(newId('token'), CHARGER))).toMatchObject({
      status: 404,
    });
    const { card: saved } = await add(customer(), card(VISA));
    expect(await caught(vault.detokenize(saved.token, { actor: '', reason: 'x' }))).toBeInstanceOf(TypeError);
    expect(await caught(vault.detokenize(saved.token, { actor: 'x', reason: ' ' }))).toBeInstanceOf(
      TypeError,
    );
  });
});

describe('tampering and copying fail to decrypt (decryption_failed, no details), and are audited', () => {
  const flip = (base64: string, at = 0) => {
    const bytes = Buffer.from(base64, 'base64');
    bytes.writeUInt8((bytes[at] ?? 0) ^ 1, at);
    return bytes.toString('base64');
  };
  async function stored(token: string): Promise<Record<string, unknown>> {
    const [item] = await itemsOf('vault', `TOKEN#${token}`);
    if (!item) throw new Error('missing record');
    return item;
  }
  async function tamper(token: string, field: string, value: unknown): Promise<void> {
    await ddb().send(
      new UpdateCommand({
        TableName: vaultTableName(),
        Key: cardKey(token),
        UpdateExpression: 'SET #f = :v',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: { '#f': field },
        ExpressionAttributeValues: { ':v': value },
      }),
    );
  }
  // A fresh cipher (a cold container) so the wrapped key really goes through the key service.
  const coldDetokenize = (token: string) => {
    setKeyService(new LocalKeyService({ dataDir }));
    return vault.detokenize(token, CHARGER);
  };

  it.each([
    ['ciphertext', (r: Record<string, unknown>) => flip(String(r.ciphertext))],
    ['tag', (r: Record<string, unknown>) => flip(String(r.tag))],
    ['iv', (r: Record<string, unknown>) => flip(String(r.iv))],
    ['wrappedKey', (r: Record<string, unknown>) => flip(String(r.wrappedKey), 40)],
    ['keyVersion', () => 'v9'],
    // The AAD binds the customer: a record re-pointed at another customer does not open.
    ['customerId', () => customer()],
  ])('%s tampered', async (field, change) => {
    const { card: saved } = await add(customer(), card(VISA));
    await tamper(saved.token, field, change(await stored(saved.token)));
    const error = await caught(coldDetokenize(saved.token));
    expect(isDecryptionFailed(error)).toBe(true);
    expect((error as ApiError).toBody('r')).toEqual({
      error: {
        type: 'api_error',
        code: 'decryption_failed',
        message: 'Stored data could not be decrypted.',
        requestId: 'r',
      },
    });
    expect(await itemsOf('vault', `AUDIT#${saved.token}`)).toMatchObject([
      { action: 'vault.detokenize_failed' },
    ]);
  });

  it('a record copied to another customer (under a token of theirs) does not open', async () => {
    const { card: saved } = await add(customer(), card(AMEX));
    const mallory = customer();
    const { card: theirs } = await add(mallory, card(MASTERCARD));
    const original = await stored(saved.token);
    // Mallory's record takes Alice's envelope wholesale: ciphertext, iv, tag, wrapped key.
    for (const field of ['ciphertext', 'iv', 'tag', 'wrappedKey', 'keyId', 'keyVersion']) {
      await tamper(theirs.token, field, original[field]);
    }
    expect(isDecryptionFailed(await caught(coldDetokenize(theirs.token)))).toBe(true);
    // And a full copy of Alice's item to a new token of Mallory's fails too (the AAD binds the token).
    const copyToken = newId('token');
    await ddb().send(
      new PutCommand({
        TableName: vaultTableName(),
        Item: { ...original, ...cardKey(copyToken), token: copyToken, customerId: mallory },
      }),
    );
    expect(isDecryptionFailed(await caught(coldDetokenize(copyToken)))).toBe(true);
    // The untouched original still opens.
    const out = await coldDetokenize(saved.token);
    expect(out.pan.toString()).toBe(AMEX);
    out.pan.fill(0);
  });
});

describe('fingerprints: one card, one token per customer, one fingerprint across customers', () => {
  it('the same card saved twice by one customer returns the existing token and writes no new record', async () => {
    const alice = customer();
    const first = await add(alice, card(VISA));
    const before = (await scan('vault')).length;
    const second = await add(alice, card(VISA, { cvc: '111' }));
    expect(second).toEqual({ created: false, card: first.card });
    expect((await scan('vault')).length).toBe(before);
    expect((await vault.listCards(alice, { limit: 10 })).data).toEqual([first.card]);
  });

  it('a later expiry on the same number renews the saved card; an older one does not overwrite it', async () => {
    const alice = customer();
    const { card: saved } = await add(alice, card(VISA, { expMonth: 6, expYear: 2031 }));
    const renewed = await add(alice, card(VISA, { expMonth: 9, expYear: 2035 }));
    expect(renewed).toEqual({ created: false, card: { ...saved, expMonth: 9, expYear: 2035 } });
    expect(await vault.getCard(alice, saved.token)).toMatchObject({ expMonth: 9, expYear: 2035 });
    const older = await add(alice, card(VISA, { expMonth: 6, expYear: 2031 }));
    expect(older.card).toMatchObject({ expMonth: 9, expYear: 2035 });
    const out = await vault.detokenize(saved.token, CHARGER);
    expect(out).toMatchObject({ expMonth: 9, expYear: 2035 });
    out.pan.fill(0);
  });

  it('concurrent saves of one card by one customer yield one token (losers get it back, or a 409 to retry)', async () => {
    const alice = customer();
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => add(alice, card(MASTERCARD))));
    const saved = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    for (const r of results) {
      if (r.status === 'rejected') expect(r.reason).toMatchObject({ status: 409, code: 'concurrent_update' });
    }
    expect(new Set(saved.map((r) => r.card.token)).size).toBe(1);
    expect(saved.filter((r) => r.created)).toHaveLength(1);
    expect(await itemsOf('vault', `CUSTOMER#${alice}`)).toHaveLength(2); // the card and its fingerprint entry
    expect((await scan('vault')).filter((i) => i.type === 'card' && i.customerId === alice)).toHaveLength(1);
  });

  it('the same card under several customers gets a token each and one fingerprint (monitoring counts it, not the vault)', async () => {
    const number = '6011111111111117';
    const [a, b, c] = [customer(), customer(), customer()];
    const tokens = [];
    for (const who of [a, b, c]) tokens.push((await add(who, card(number))).card.token);
    expect(new Set(tokens).size).toBe(3);
    const fingerprintId = (await vault.getCard(a, tokens[0] as string)).fingerprintId as string;
    expect((await vault.getCard(b, tokens[1] as string)).fingerprintId).toBe(fingerprintId);
    // No cross-customer index in the CDE: the shared-card rule reads monitoring's aggregate (ADR 0033).
    expect(await itemsOf('vault', `FP#${fingerprintId}`)).toEqual([]);
    // Another card is another fingerprint.
    const other = await add(a, card(VISA));
    expect((await vault.getCard(a, other.card.token)).fingerprintId).not.toBe(fingerprintId);
  });
});

describe('delete crypto-shreds', () => {
  it('removes ciphertext, wrapped key and fingerprint, tombstones the token, and a re-save gets a new token', async () => {
    const alice = customer();
    const { card: saved } = await add(alice, card(AMEX));
    // Another customer's token is a 404, and nothing changes.
    expect(await caught(vault.deleteCard(customer(), saved.token, { commit }))).toMatchObject({
      status: 404,
    });
    expect(await vault.getCard(alice, saved.token)).toMatchObject({ token: saved.token });

    expect(await vault.deleteCard(alice, saved.token, { commit })).toEqual({
      token: saved.token,
      deleted: true,
    });
    const [tombstone] = await itemsOf('vault', `TOKEN#${saved.token}`);
    expect(Object.keys(tombstone ?? {}).sort()).toEqual(
      ['customerId', 'deletedAt', 'pk', 'sk', 'status', 'token', 'type', 'version'].sort(),
    );
    expect(tombstone).toMatchObject({ status: 'deleted' });
    // The customer's list and dedupe entries and the re-wrap list entry are gone with it.
    expect(await itemsOf('vault', `CUSTOMER#${alice}`)).toEqual([]);
    expect((await scan('vault')).filter((i) => String(i.sk) === `TOKEN#${saved.token}`)).toEqual([]);

    for (const attempt of [
      () => vault.getCard(alice, saved.token),
      () => vault.detokenize(saved.token, CHARGER),
      () => vault.deleteCard(alice, saved.token, { commit }),
    ]) {
      expect(await caught(attempt())).toMatchObject({ status: 404, code: 'resource_missing' });
    }
    expect((await vault.listCards(alice, { limit: 10 })).data).toEqual([]);
    const again = await add(alice, card(AMEX));
    expect(again.created).toBe(true);
    expect(again.card.token).not.toBe(saved.token);
  });

  it('lists a customer page by page; the cursor stays inside the customer', async () => {
    const alice = customer();
    const saved = [];
    for (const number of [VISA, MASTERCARD, AMEX]) saved.push((await add(alice, card(number))).card);
    const first = await vault.listCards(alice, { limit: 2 });
    expect(first.hasMore).toBe(true);
    const rest = await vault.listCards(alice, { limit: 2, startingAfter: first.data[1]?.token });
    expect([...first.data, ...rest.data].map((c) => c.token).sort()).toEqual(
      saved.map((c) => c.token).sort(),
    );
    expect(rest.hasMore).toBe(false);
    // An exact fit is not "more".
    expect((await vault.listCards(alice, { limit: 3 })).hasMore).toBe(false);
    // Another customer's token as a cursor reads only this customer's own partition.
    const bob = customer();
    expect((await vault.listCards(bob, { limit: 10, startingAfter: saved[0]?.token })).data).toEqual([]);
  });
});

describe('the vault holds no plaintext PAN and no CVC', () => {
  it('stores only ciphertext, brand, last 4 and expiry', async () => {
    const cards = [card(VISA), card(AMEX), card('3566002020360505'), card('6200000000000005')];
    for (const input of cards) await add(customer(), input);
    const items = await scan('vault');
    const text = JSON.stringify(items);
    for (const input of cards) {
      expect(text).not.toContain(input.number);
      expect(text).not.toContain(input.number.slice(0, 12)); // not even a long prefix
    }
    expect(panLikeRuns(items)).toEqual([]);
    for (const item of items) {
      for (const key of Object.keys(item)) expect(key).not.toMatch(/cvc|cvv|cvv2|number|pan$/i);
    }
    // CVC values: no attribute holds a CVC that was sent (they are all short and distinctive here).
    for (const item of items)
      for (const value of Object.values(item)) expect(['739', '7391']).not.toContain(value);
  });
});

describe('on KMS (aws-sdk-client-mock) against DynamoDB Local', () => {
  it('1,000 tokenizations through the service make 1 GenerateDataKey, the 1,001st a second; record size', async () => {
    const fake = fakeKms();
    const alice = customer();
    const numbers = Array.from({ length: 1_001 }, (_, i) => {
      // Distinct valid Visa numbers: 15 digits then the Luhn check digit.
      const body = `4${String(100_000_000_000_00 + i).padStart(14, '0')}`;
      for (let d = 0; d <= 9; d++) if (luhnValid(`${body}${d}`)) return `${body}${d}`;
      throw new Error('no check digit');
    });
    for (const number of numbers.slice(0, 1_000)) await add(alice, card(number));
    expect(fake.kms).toHaveReceivedCommandTimes(GenerateDataKeyCommand, 1);
    expect(fake.kms).toHaveReceivedCommandWith(GenerateDataKeyCommand, {
      KeySpec: 'AES_256',
      EncryptionContext: { purpose: 'card-vault' },
    });
    await add(alice, card(numbers[1_000] as string));
    expect(fake.kms).toHaveReceivedCommandTimes(GenerateDataKeyCommand, 2);
    expect(fake.kms).toHaveReceivedCommandTimes(DecryptCommand, 0);

    const token = (await vault.listCards(alice, { limit: 1 })).data[0]?.token as string;
    const all = await scan('vault');
    const record = all.find((i) => i.pk === `TOKEN#${token}`) ?? {};
    const fingerprintId = String(record.fingerprintId);
    // Every item one card adds: the record, the list entry, the dedupe entry, the re-wrap list entry.
    const perCard = all.filter(
      (i) =>
        String(i.pk).includes(token) ||
        String(i.sk).includes(token) ||
        String(i.pk).includes(fingerprintId) ||
        String(i.sk).includes(fingerprintId),
    );
    expect(perCard).toHaveLength(4);
    const bytes = dynamoItemBytes(record);
    const total = perCard.reduce((n, i) => n + dynamoItemBytes(i), 0);
    expect(record).toMatchObject({ keyId: KEY_ARN, keyVersion: 'material-1' });
    // Reported in the closing note: one card record as stored, with a real-size KMS blob and key ARN.
    process.stderr.write(`[vault] card record ${bytes} bytes; all 4 items of one card ${total} bytes\n`);
    expect(bytes).toBeLessThan(1024); // one write unit
  }, 120_000);

  it('KMS throttling is retried, then surfaces as 503 with nothing written', async () => {
    const kms = mockClient(KMSClient);
    kmsMock = kms as unknown as ReturnType<typeof mockClient>;
    kms.on(GenerateDataKeyCommand).rejects(
      Object.assign(new Error('Rate exceeded'), {
        name: 'ThrottlingException',
        $fault: 'client',
        $metadata: { httpStatusCode: 400 },
      }),
    );
    setKeyService(
      new KmsKeyService({ client: new KMSClient({ region: 'us-east-1' }), sleep: async () => {} }),
    );
    const before = { main: await scan('main'), vault: await scan('vault') };
    const error = await caught(add(customer(), card(VISA)));
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 503, code: 'service_unavailable' });
    expect(kms).toHaveReceivedCommandTimes(GenerateDataKeyCommand, 3);
    expect({ main: await scan('main'), vault: await scan('vault') }).toEqual(before);
  });
});

describe('re-wrap after key rotation', () => {
  beforeEach(freshTables);

  it('local: moves every record to the new version by Query (one unwrap per data key), old and new stay readable', async () => {
    const keys = new LocalKeyService({ dataDir: mkdtempSync(join(tmpdir(), 'tessera-rewrap-')) });
    setKeyService(keys);
    const people = [customer(), customer(), customer()];
    const saved = [];
    for (const [i, who] of people.entries())
      saved.push({ who, ...(await add(who, card([VISA, AMEX, MASTERCARD][i] as string))).card });
    const gone = await add(customer(), card('3056930009020004'));
    await vault.deleteCard(
      (await itemsOf('vault', `TOKEN#${gone.card.token}`))[0]?.customerId as string,
      gone.card.token,
      { commit },
    );
    const before = new Map((await scan('vault')).filter((i) => i.type === 'card').map((i) => [i.token, i]));
    expect(await keys.currentVersion(process.env.VAULT_KEY_ID ?? 'alias/tessera-vault')).toBe('v1');

    await keys.rotate();
    const report = await rewrapAll({ pageSize: 2, actor: 'arn:test:operator' });
    expect(report).toMatchObject({ rewrapped: saved.length, done: true, kmsCalls: 1 });
    for (const { who, token } of saved) {
      const [after] = await itemsOf('vault', `TOKEN#${token}`);
      const old = before.get(token) as Record<string, unknown>;
      expect(after).toMatchObject({ keyVersion: 'v2', ciphertext: old.ciphertext, iv: old.iv, tag: old.tag });
      expect(after?.wrappedKey).not.toBe(old.wrappedKey);
      setKeyService(new LocalKeyService({ dataDir: keys.path.replace(/\/local-kms\.json$/, '') }));
      const out = await vault.detokenize(token, CHARGER);
      expect(out.pan.toString()).toBe([VISA, AMEX, MASTERCARD][saved.findIndex((s) => s.token === token)]);
      expect(out.customerId).toBe(who);
      out.pan.fill(0);
      setKeyService(keys);
    }
    // The lists moved too: nothing left under v1, so a second run finds nothing to do.
    const v1Lists = (await scan('vault')).filter((i) => /^WRAP#.*#v1#\d$/.test(String(i.pk)));
    expect(v1Lists).toEqual([]);
    expect(await rewrapAll()).toMatchObject({ rewrapped: 0, done: true });
    const audits = await itemsOf('vault', 'AUDIT#vault');
    expect(audits.at(0)).toMatchObject({ action: 'vault.rewrapped', actor: 'arn:test:operator' });
  });

  it('KMS: ReEncrypt per data key, not per record; maxRecords stops early and a re-run finishes', async () => {
    const fake = fakeKms();
    const alice = customer();
    const tokens: string[] = [];
    for (const number of [VISA, AMEX, MASTERCARD, '6011111111111117', '3566002020360505']) {
      tokens.push((await add(alice, card(number))).card.token);
    }
    fake.rotate('material-2');
    const partial = await rewrapAll({ maxRecords: 2, pageSize: 1 });
    expect(partial).toMatchObject({ done: false, rewrapped: 2 });
    const rest = await rewrapAll({ pageSize: 10 });
    expect(rest.done).toBe(true);
    // All five shared one data key: one ReEncrypt per run (plus nothing per record).
    expect(fake.kms).toHaveReceivedCommandTimes(ReEncryptCommand, partial.kmsCalls + rest.kmsCalls);
    expect(partial.kmsCalls + rest.kmsCalls).toBeLessThanOrEqual(3);
    expect(fake.kms).toHaveReceivedCommandWith(ReEncryptCommand, {
      SourceEncryptionContext: { purpose: 'card-vault' },
      DestinationEncryptionContext: { purpose: 'card-vault' },
    });
    for (const token of tokens) {
      expect((await itemsOf('vault', `TOKEN#${token}`))[0]).toMatchObject({ keyVersion: 'material-2' });
    }
    // A cold cipher opens a moved record through KMS Decrypt.
    setKeyService(
      new KmsKeyService({ client: new KMSClient({ region: 'us-east-1' }), sleep: async () => {} }),
    );
    const out = await vault.detokenize(tokens[0] as string, CHARGER);
    expect(out.pan.toString()).toBe(VISA);
    out.pan.fill(0);
  });

  it('spreads the per-version lists over shards', () => {
    const shards = new Set(Array.from({ length: 200 }, (_, i) => wrapShard(`tok_${i}`)));
    expect(shards.size).toBe(WRAP_SHARDS);
  });
});
