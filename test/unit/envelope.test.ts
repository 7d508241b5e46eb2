import 'aws-sdk-client-mock-vitest/extend';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DecryptCommand,
  GenerateDataKeyCommand,
  InvalidCiphertextException,
  KMSClient,
  ReEncryptCommand,
} from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { fixedClock } from '../../functions/lib/clock.ts';
import { ApiError } from '../../functions/lib/errors.ts';
import { isDecryptionFailed, type KeyContext } from '../../functions/lib/key-service.ts';
import { KmsKeyService } from '../../functions/lib/key-service-kms.ts';
import { LocalKeyService } from '../../functions/lib/key-service-local.ts';
import { findPanLikeRuns } from '../../functions/vault/card.ts';
import { EnvelopeCipher, type EnvelopeRecord } from '../../functions/vault/envelope.ts';

const PAN = Buffer.from('4242424242424242');
const ALICE = { customerId: 'cus_01ALICE', tokenId: 'tok_01ALICE' };
const KEY_ARN = 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const ALIAS = 'alias/tessera-vault';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});
async function localKeys(): Promise<LocalKeyService> {
  const dir = await mkdtemp(join(tmpdir(), 'tessera-envelope-'));
  dirs.push(dir);
  return new LocalKeyService({ dataDir: dir });
}

async function caught(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

/** Flips one bit of a base64 field, keeping it valid base64 of the same length. */
function flip(field: string, byte = 0): string {
  const bytes = Buffer.from(field, 'base64');
  bytes.writeUInt8(bytes.readUInt8(byte) ^ 0x01, byte);
  return bytes.toString('base64');
}

/**
 * A KMS stand-in behind aws-sdk-client-mock: remembers which data key each blob wraps and under
 * which context, and fails like KMS on an unknown blob or a different context. It hands out a
 * fresh copy of the key each time (the caller zeroes what it receives) and keeps what it issued.
 */
function fakeKms() {
  const kms = mockClient(KMSClient);
  const blobs = new Map<string, { key: Buffer; context: string; material: string }>();
  const issued: Uint8Array[] = [];
  let material = 'material-1';
  const invalid = () =>
    new InvalidCiphertextException({ message: 'invalid', $metadata: { httpStatusCode: 400 } });
  const same = (context: KeyContext | undefined) => JSON.stringify(Object.entries(context ?? {}).sort());
  const wrap = (key: Buffer, context: KeyContext | undefined) => {
    const blob = randomBytes(184); // the size of a real KMS blob for a 256-bit data key
    blobs.set(blob.toString('hex'), { key, context: same(context), material });
    return blob;
  };
  const issue = (key: Buffer) => {
    const copy = new Uint8Array(key);
    issued.push(copy);
    return copy;
  };
  kms.on(GenerateDataKeyCommand).callsFake((input) => {
    const key = randomBytes(32);
    return {
      Plaintext: issue(key),
      CiphertextBlob: wrap(key, input.EncryptionContext),
      KeyId: KEY_ARN,
      KeyMaterialId: material,
    };
  });
  kms.on(DecryptCommand).callsFake((input) => {
    const entry = blobs.get(Buffer.from(input.CiphertextBlob ?? []).toString('hex'));
    if (!entry || entry.context !== same(input.EncryptionContext)) throw invalid();
    if (input.KeyId !== undefined && input.KeyId !== KEY_ARN && input.KeyId !== ALIAS) throw invalid();
    return { Plaintext: issue(entry.key), KeyId: KEY_ARN, KeyMaterialId: entry.material };
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
  return {
    kms,
    issued,
    rotate(next: string) {
      material = next;
    },
    service: (maxAttempts = 3) =>
      new KmsKeyService({
        client: new KMSClient({ region: 'us-east-1' }),
        maxAttempts,
        sleep: async () => undefined,
      }),
  };
}

let fake: ReturnType<typeof fakeKms>;
beforeEach(() => {
  fake?.kms.restore();
  fake = fakeKms();
});

describe('EnvelopeCipher: round trip and record shape', () => {
  it('decrypts what it encrypted, with a fresh IV each time and nothing of the PAN in the record', async () => {
    const cipher = new EnvelopeCipher({ keyService: await localKeys(), keyId: 'vault' });
    const first = await cipher.encrypt(PAN, ALICE);
    const second = await cipher.encrypt(PAN, ALICE);
    expect(await cipher.decrypt(first, ALICE)).toEqual(PAN);
    expect(first.iv).not.toBe(second.iv);
    expect(first.ciphertext).not.toBe(second.ciphertext);
    expect(first.wrappedKey).toBe(second.wrappedKey); // one cached data key for both
    expect(Object.keys(first).sort()).toEqual([
      'ciphertext',
      'iv',
      'keyId',
      'keyVersion',
      'tag',
      'wrappedKey',
    ]);
    expect(first).toMatchObject({ keyId: 'vault', keyVersion: 'v1' });
    expect(Buffer.from(first.iv, 'base64')).toHaveLength(12);
    expect(Buffer.from(first.tag, 'base64')).toHaveLength(16);
    expect(Buffer.from(first.ciphertext, 'base64')).toHaveLength(PAN.length);
    const stored = JSON.stringify(first);
    expect(stored).not.toContain(PAN.toString());
    expect(findPanLikeRuns(stored)).toEqual([]);
  });

  it('decrypts in another cipher instance (a cold container) through the key service', async () => {
    const keys = await localKeys();
    const record = await new EnvelopeCipher({ keyService: keys, keyId: 'vault' }).encrypt(PAN, ALICE);
    expect(await new EnvelopeCipher({ keyService: keys, keyId: 'vault' }).decrypt(record, ALICE)).toEqual(
      PAN,
    );
  });

  it('keeps purposes apart: a 2FA cipher cannot open a vault record', async () => {
    const keys = await localKeys();
    const record = await new EnvelopeCipher({ keyService: keys, keyId: 'vault' }).encrypt(PAN, ALICE);
    const other = new EnvelopeCipher({ keyService: keys, keyId: 'vault', purpose: 'totp' });
    expect(isDecryptionFailed(await caught(other.decrypt(record, ALICE)))).toBe(true);
  });
});

describe('EnvelopeCipher: tampering fails with decryption_failed and no details', () => {
  const tampered: [string, (r: EnvelopeRecord) => EnvelopeRecord][] = [
    ['ciphertext', (r) => ({ ...r, ciphertext: flip(r.ciphertext, 3) })],
    ['iv', (r) => ({ ...r, iv: flip(r.iv) })],
    ['tag', (r) => ({ ...r, tag: flip(r.tag, 15) })],
    [
      'a truncated tag',
      (r) => ({ ...r, tag: Buffer.from(r.tag, 'base64').subarray(0, 8).toString('base64') }),
    ],
    ['wrapped key', (r) => ({ ...r, wrappedKey: flip(r.wrappedKey, 40) })],
    ['key version', (r) => ({ ...r, keyVersion: 'v9' })],
    ['key id', (r) => ({ ...r, keyId: 'another-key' })],
  ];

  for (const warm of [true, false]) {
    it.each(tampered)(`rejects a tampered %s (${warm ? 'warm' : 'cold'} cache)`, async (_field, tamper) => {
      const keys = await localKeys();
      const writer = new EnvelopeCipher({ keyService: keys, keyId: 'vault' });
      const record = await writer.encrypt(PAN, ALICE);
      const reader = warm ? writer : new EnvelopeCipher({ keyService: keys, keyId: 'vault' });
      const error = await caught(reader.decrypt(tamper(record), ALICE));
      expect(error).toBeInstanceOf(ApiError);
      expect(error).toMatchObject({
        code: 'decryption_failed',
        message: 'Stored data could not be decrypted.',
      });
      expect(JSON.stringify((error as ApiError).toBody('req_1'))).not.toContain('4242');
      // The untouched record still opens.
      expect(await reader.decrypt(record, ALICE)).toEqual(PAN);
    });
  }

  it.each([
    ['another customer', { customerId: 'cus_01MALLORY', tokenId: ALICE.tokenId }],
    ['another token', { customerId: ALICE.customerId, tokenId: 'tok_01OTHER' }],
    ['ids shifted across the boundary', { customerId: 'cus_01ALICEtok_01', tokenId: 'ALICE' }],
  ])('rejects a record copied to %s', async (_label, binding) => {
    const cipher = new EnvelopeCipher({ keyService: await localKeys(), keyId: 'vault' });
    const record = await cipher.encrypt(PAN, ALICE);
    expect(isDecryptionFailed(await caught(cipher.decrypt(record, binding)))).toBe(true);
  });
});

describe('EnvelopeCipher on KMS: calls, cache bounds, failures', () => {
  it('asks KMS for AES_256 data keys under the vault key with the fixed purpose context', async () => {
    const cipher = new EnvelopeCipher({ keyService: fake.service(), keyId: ALIAS });
    const record = await cipher.encrypt(PAN, ALICE);
    expect(fake.kms).toHaveReceivedCommandExactlyOnceWith(GenerateDataKeyCommand, {
      KeyId: ALIAS,
      KeySpec: 'AES_256',
      EncryptionContext: { purpose: 'card-vault' },
    });
    expect(record).toMatchObject({ keyId: KEY_ARN, keyVersion: 'material-1' });
    // The per-record ids are in the GCM AAD, never in the KMS context (CloudTrail logs it).
    const sent = fake.kms.commandCalls(GenerateDataKeyCommand)[0]?.args[0].input;
    expect(JSON.stringify(sent)).not.toContain(ALICE.customerId);
  });

  it('makes exactly 1 GenerateDataKey for 1,000 encryptions, and a second on the 1,001st', async () => {
    const cipher = new EnvelopeCipher({
      keyService: fake.service(),
      keyId: ALIAS,
      clock: fixedClock('2026-01-01T00:00:00Z'),
    });
    for (let i = 0; i < 1_000; i++)
      await cipher.encrypt(PAN, { customerId: `cus_${i}`, tokenId: `tok_${i}` });
    expect(fake.kms).toHaveReceivedCommandTimes(GenerateDataKeyCommand, 1);
    await cipher.encrypt(PAN, ALICE);
    expect(fake.kms).toHaveReceivedCommandTimes(GenerateDataKeyCommand, 2);
    // The retired key was zeroed in place (the buffer KMS handed over).
    expect(fake.issued[0]?.every((byte) => byte === 0)).toBe(true);
    expect(fake.issued[1]?.some((byte) => byte !== 0)).toBe(true);
  });

  it('shares one GenerateDataKey among concurrent encryptions, and honours the count under load', async () => {
    const cipher = new EnvelopeCipher({ keyService: fake.service(), keyId: ALIAS });
    const many = (n: number) =>
      Array.from({ length: n }, (_, i) => cipher.encrypt(PAN, { customerId: 'c', tokenId: `t${i}` }));
    const records = await Promise.all(many(1_000));
    expect(fake.kms).toHaveReceivedCommandTimes(GenerateDataKeyCommand, 1);
    expect(new Set(records.map((r) => r.wrappedKey)).size).toBe(1);
    const more = await Promise.all(many(1_500));
    expect(fake.kms).toHaveReceivedCommandTimes(GenerateDataKeyCommand, 3);
    expect(new Set(more.map((r) => r.wrappedKey)).size).toBe(2);
    // Every one of them decrypts: no record was sealed with a retired (zeroed) key.
    const reader = new EnvelopeCipher({ keyService: fake.service(), keyId: ALIAS });
    for (const [i, record] of more.entries()) {
      expect(await reader.decrypt(record, { customerId: 'c', tokenId: `t${i}` })).toEqual(PAN);
    }
  });

  it('retires a data key at its maximum age by the injected clock', async () => {
    const clock = fixedClock('2026-01-01T00:00:00Z');
    const cipher = new EnvelopeCipher({ keyService: fake.service(), keyId: ALIAS, clock });
    await cipher.encrypt(PAN, ALICE);
    clock.advance(5 * 60_000 - 1);
    await cipher.encrypt(PAN, ALICE);
    expect(fake.kms).toHaveReceivedCommandTimes(GenerateDataKeyCommand, 1);
    clock.advance(1);
    await cipher.encrypt(PAN, ALICE);
    expect(fake.kms).toHaveReceivedCommandTimes(GenerateDataKeyCommand, 2);
  });

  it('takes custom bounds', async () => {
    const clock = fixedClock('2026-01-01T00:00:00Z');
    const cipher = new EnvelopeCipher({
      keyService: fake.service(),
      keyId: ALIAS,
      clock,
      maxUses: 2,
      maxAgeMs: 1_000,
    });
    for (let i = 0; i < 4; i++) await cipher.encrypt(PAN, ALICE);
    expect(fake.kms).toHaveReceivedCommandTimes(GenerateDataKeyCommand, 2);
    clock.advance(1_000);
    await cipher.encrypt(PAN, ALICE);
    expect(fake.kms).toHaveReceivedCommandTimes(GenerateDataKeyCommand, 3);
    expect(() => new EnvelopeCipher({ keyService: fake.service(), keyId: ALIAS, maxUses: 0 })).toThrow(
      RangeError,
    );
  });

  it('caches decrypted data keys by their wrapped form: one Decrypt for many records', async () => {
    const writer = new EnvelopeCipher({ keyService: fake.service(), keyId: ALIAS });
    const bindings = Array.from({ length: 50 }, (_, i) => ({ customerId: `cus_${i}`, tokenId: `tok_${i}` }));
    const records = await Promise.all(bindings.map((b) => writer.encrypt(PAN, b)));
    // The writer knows its own keys: reading back costs no KMS call.
    expect(await writer.decrypt(records[0] as EnvelopeRecord, bindings[0] as (typeof bindings)[0])).toEqual(
      PAN,
    );
    expect(fake.kms).toHaveReceivedCommandTimes(DecryptCommand, 0);

    const reader = new EnvelopeCipher({ keyService: fake.service(), keyId: ALIAS });
    const opened = await Promise.all(
      records.map((r, i) => reader.decrypt(r, bindings[i] as (typeof bindings)[0])),
    );
    expect(opened.every((pan) => pan.equals(PAN))).toBe(true);
    expect(fake.kms).toHaveReceivedCommandExactlyOnceWith(DecryptCommand, {
      CiphertextBlob: Buffer.from((records[0] as EnvelopeRecord).wrappedKey, 'base64'),
      EncryptionContext: { purpose: 'card-vault' },
      KeyId: KEY_ARN,
    });
  });

  it('bounds the decrypt cache by count, age and size (least recently used goes first)', async () => {
    const clock = fixedClock('2026-01-01T00:00:00Z');
    const writer = new EnvelopeCipher({ keyService: fake.service(), keyId: ALIAS, maxUses: 1 });
    const [a, b, c] = [
      await writer.encrypt(PAN, ALICE),
      await writer.encrypt(PAN, ALICE),
      await writer.encrypt(PAN, ALICE),
    ];
    if (!a || !b || !c) throw new Error('records missing');
    expect(new Set([a.wrappedKey, b.wrappedKey, c.wrappedKey]).size).toBe(3);

    const reader = new EnvelopeCipher({
      keyService: fake.service(),
      keyId: ALIAS,
      clock,
      maxUses: 3,
      maxCachedKeys: 2,
    });
    const decrypts = () => fake.kms.commandCalls(DecryptCommand).length;
    await reader.decrypt(a, ALICE);
    await reader.decrypt(a, ALICE);
    await reader.decrypt(a, ALICE);
    expect(decrypts()).toBe(1);
    await reader.decrypt(a, ALICE); // 4th use of one key: fetched again
    expect(decrypts()).toBe(2);
    clock.advance(5 * 60_000);
    await reader.decrypt(a, ALICE); // too old: fetched again
    expect(decrypts()).toBe(3);
    await reader.decrypt(b, ALICE);
    await reader.decrypt(c, ALICE); // evicts a, the least recently used
    expect(decrypts()).toBe(5);
    await reader.decrypt(c, ALICE);
    expect(decrypts()).toBe(5);
    await reader.decrypt(a, ALICE);
    expect(decrypts()).toBe(6);
  });

  it('zeroes cached keys on clear()', async () => {
    const cipher = new EnvelopeCipher({ keyService: fake.service(), keyId: ALIAS });
    const record = await cipher.encrypt(PAN, ALICE);
    cipher.clear();
    expect(fake.issued[0]?.every((byte) => byte === 0)).toBe(true);
    expect(await cipher.decrypt(record, ALICE)).toEqual(PAN);
    expect(fake.kms).toHaveReceivedCommandTimes(DecryptCommand, 1);
  });

  it('retries KMS throttling, then answers 503; it recovers once KMS does', async () => {
    fake.kms.on(GenerateDataKeyCommand).rejects(
      Object.assign(new Error('Rate exceeded'), {
        name: 'ThrottlingException',
        $metadata: { httpStatusCode: 400 },
      }),
    );
    const cipher = new EnvelopeCipher({ keyService: fake.service(4), keyId: ALIAS });
    const error = await caught(cipher.encrypt(PAN, ALICE));
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 503, code: 'service_unavailable' });
    expect(fake.kms).toHaveReceivedCommandTimes(GenerateDataKeyCommand, 4);

    fake.kms.on(GenerateDataKeyCommand).resolves({
      Plaintext: new Uint8Array(32).fill(1),
      CiphertextBlob: new Uint8Array(184).fill(2),
      KeyId: KEY_ARN,
      KeyMaterialId: 'material-1',
    });
    expect(await cipher.decrypt(await cipher.encrypt(PAN, ALICE), ALICE)).toEqual(PAN);
  });

  it('reports a KMS refusal on decrypt as decryption_failed, not 503', async () => {
    const record = await new EnvelopeCipher({ keyService: fake.service(), keyId: ALIAS }).encrypt(PAN, ALICE);
    fake.kms.on(DecryptCommand).rejects(
      Object.assign(new Error('denied'), {
        name: 'AccessDeniedException',
        $metadata: { httpStatusCode: 400 },
      }),
    );
    const error = await caught(
      new EnvelopeCipher({ keyService: fake.service(), keyId: ALIAS }).decrypt(record, ALICE),
    );
    expect(isDecryptionFailed(error)).toBe(true);
    expect(fake.kms).toHaveReceivedCommandTimes(DecryptCommand, 1);
  });
});

describe('EnvelopeCipher: key rotation and rewrap', () => {
  it('local: after rotation new records use the new version, old ones still decrypt', async () => {
    const keys = await localKeys();
    const clock = fixedClock('2026-01-01T00:00:00Z');
    const cipher = new EnvelopeCipher({ keyService: keys, keyId: 'vault', clock });
    const old = await cipher.encrypt(PAN, ALICE);
    expect(old.keyVersion).toBe('v1');
    await keys.rotate();
    // A cached data key lives out its bounds (as with KMS); the next one is wrapped under v2.
    clock.advance(5 * 60_000);
    const fresh = await cipher.encrypt(PAN, ALICE);
    expect(fresh.keyVersion).toBe('v2');
    const cold = new EnvelopeCipher({ keyService: keys, keyId: 'vault' });
    expect(await cold.decrypt(old, ALICE)).toEqual(PAN);
    expect(await cold.decrypt(fresh, ALICE)).toEqual(PAN);
    expect(
      (await new EnvelopeCipher({ keyService: keys, keyId: 'vault' }).encrypt(PAN, ALICE)).keyVersion,
    ).toBe('v2');
  });

  it('local: rewrap moves a record to the current version without touching its ciphertext', async () => {
    const keys = await localKeys();
    const cipher = new EnvelopeCipher({ keyService: keys, keyId: 'vault' });
    const old = await cipher.encrypt(PAN, ALICE);
    await keys.rotate('vault');
    const moved = await cipher.rewrap(old);
    expect(moved).toMatchObject({
      ciphertext: old.ciphertext,
      iv: old.iv,
      tag: old.tag,
      keyId: 'vault',
      keyVersion: 'v2',
    });
    expect(moved.wrappedKey).not.toBe(old.wrappedKey);
    expect(await new EnvelopeCipher({ keyService: keys, keyId: 'vault' }).decrypt(moved, ALICE)).toEqual(PAN);
    // The new version is authenticated: claiming the old one on the moved record fails.
    expect(isDecryptionFailed(await caught(cipher.decrypt({ ...moved, keyVersion: 'v1' }, ALICE)))).toBe(
      true,
    );
  });

  it('local: rewrap to another key', async () => {
    const keys = await localKeys();
    const cipher = new EnvelopeCipher({ keyService: keys, keyId: 'vault' });
    const moved = await cipher.rewrap(await cipher.encrypt(PAN, ALICE), 'vault-2026');
    expect(moved).toMatchObject({ keyId: 'vault-2026', keyVersion: 'v1' });
    expect(await new EnvelopeCipher({ keyService: keys, keyId: 'vault-2026' }).decrypt(moved, ALICE)).toEqual(
      PAN,
    );
  });

  it('KMS: rewrap is a ReEncrypt to the target key with the same context; the record moves to the new material', async () => {
    const cipher = new EnvelopeCipher({ keyService: fake.service(), keyId: ALIAS });
    const old = await cipher.encrypt(PAN, ALICE);
    fake.rotate('material-2');
    const moved = await cipher.rewrap(old);
    expect(fake.kms).toHaveReceivedCommandExactlyOnceWith(ReEncryptCommand, {
      CiphertextBlob: Buffer.from(old.wrappedKey, 'base64'),
      SourceEncryptionContext: { purpose: 'card-vault' },
      DestinationKeyId: ALIAS,
      DestinationEncryptionContext: { purpose: 'card-vault' },
    });
    expect(moved).toMatchObject({
      ciphertext: old.ciphertext,
      iv: old.iv,
      tag: old.tag,
      keyVersion: 'material-2',
    });
    expect(
      await new EnvelopeCipher({ keyService: fake.service(), keyId: ALIAS }).decrypt(moved, ALICE),
    ).toEqual(PAN);
    expect(
      await new EnvelopeCipher({ keyService: fake.service(), keyId: ALIAS }).decrypt(old, ALICE),
    ).toEqual(PAN);
  });
});
