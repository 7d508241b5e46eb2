import 'aws-sdk-client-mock-vitest/extend';
import { chmod, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DecryptCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  InvalidCiphertextException,
  KMSClient,
  KMSInternalException,
  ReEncryptCommand,
} from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resetConfig } from '../../functions/lib/config.ts';
import { ApiError } from '../../functions/lib/errors.ts';
import {
  canonicalContext,
  isDecryptionFailed,
  type KeyService,
  keyService,
  setKeyService,
  setLocalKeyServiceFactory,
} from '../../functions/lib/key-service.ts';
import { isRetryableKmsError, KmsKeyService } from '../../functions/lib/key-service-kms.ts';
import { LOCAL_KMS_FILE, LocalKeyService } from '../../functions/lib/key-service-local.ts';

const KEY_ARN = 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const CONTEXT = { purpose: 'card-vault' };

const kms = mockClient(KMSClient);

/** A generic AWS service error as the SDK deserializes an unmodeled one. */
function awsError(name: string, status: number): Error {
  return Object.assign(new Error(`${name} from the mock`), {
    name,
    $fault: 'client',
    $metadata: { httpStatusCode: status },
  });
}

function flipLastBit(bytes: Buffer): Buffer {
  const copy = Buffer.from(bytes);
  copy.writeUInt8(copy.readUInt8(copy.length - 1) ^ 1, copy.length - 1);
  return copy;
}

async function caught(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

function kmsService(options: { maxAttempts?: number } = {}) {
  const delays: number[] = [];
  const service = new KmsKeyService({
    client: new KMSClient({ region: 'us-east-1' }),
    ...options,
    sleep: async (ms) => {
      delays.push(ms);
    },
    random: () => 0.999,
  });
  return { service, delays };
}

beforeEach(() => {
  kms.reset();
});

describe('KmsKeyService', () => {
  it('GenerateDataKey: AES_256 under the key, with the context, reporting KeyMaterialId as the version', async () => {
    const plaintext = new Uint8Array(32).fill(7);
    kms.on(GenerateDataKeyCommand).resolves({
      Plaintext: plaintext,
      CiphertextBlob: new Uint8Array([1, 2, 3]),
      KeyId: KEY_ARN,
      KeyMaterialId: 'a1b2c3',
    });
    const { service } = kmsService();
    const key = await service.generateDataKey('alias/tessera-vault', CONTEXT);
    expect(kms).toHaveReceivedCommandExactlyOnceWith(GenerateDataKeyCommand, {
      KeyId: 'alias/tessera-vault',
      KeySpec: 'AES_256',
      EncryptionContext: { purpose: 'card-vault' },
    });
    expect(key).toEqual({
      plaintext: Buffer.alloc(32, 7),
      wrapped: Buffer.from([1, 2, 3]),
      keyId: KEY_ARN,
      keyVersion: 'a1b2c3',
    });
    // The Buffer is a view of KMS's array: zeroing it leaves no copy of the key behind.
    key.plaintext.fill(0);
    expect(plaintext.every((byte) => byte === 0)).toBe(true);
  });

  it('falls back to the key ARN as the version when KMS reports no KeyMaterialId', async () => {
    kms.on(GenerateDataKeyCommand).resolves({
      Plaintext: new Uint8Array(32),
      CiphertextBlob: new Uint8Array([1]),
      KeyId: KEY_ARN,
    });
    expect((await kmsService().service.generateDataKey(KEY_ARN, CONTEXT)).keyVersion).toBe(KEY_ARN);
  });

  it('refuses an incomplete GenerateDataKey response', async () => {
    kms
      .on(GenerateDataKeyCommand)
      .resolves({ Plaintext: new Uint8Array(16), CiphertextBlob: new Uint8Array([1]), KeyId: KEY_ARN });
    await expect(kmsService().service.generateDataKey(KEY_ARN, CONTEXT)).rejects.toThrow(/incomplete/);
  });

  it('Decrypt: passes the context and, when given, the expected KeyId; reports key and version', async () => {
    kms
      .on(DecryptCommand)
      .resolves({ Plaintext: new Uint8Array(32).fill(9), KeyId: KEY_ARN, KeyMaterialId: 'm1' });
    const { service } = kmsService();
    const unwrapped = await service.unwrapDataKey(Buffer.from([4, 5]), CONTEXT, KEY_ARN);
    expect(kms).toHaveReceivedCommandExactlyOnceWith(DecryptCommand, {
      CiphertextBlob: Buffer.from([4, 5]),
      EncryptionContext: { purpose: 'card-vault' },
      KeyId: KEY_ARN,
    });
    expect(unwrapped).toEqual({ plaintext: Buffer.alloc(32, 9), keyId: KEY_ARN, keyVersion: 'm1' });
    expect(await service.decryptDataKey(Buffer.from([4, 5]), CONTEXT)).toEqual(Buffer.alloc(32, 9));
    expect(kms).toHaveReceivedCommandTimes(DecryptCommand, 2);
    expect(kms).toHaveReceivedNthCommandWith(DecryptCommand, 2, { CiphertextBlob: Buffer.from([4, 5]) });
    expect(kms.commandCalls(DecryptCommand)[1]?.args[0].input).not.toHaveProperty('KeyId');
  });

  it('ReEncrypt: same context on both sides, to the target key; the version is the destination material', async () => {
    kms
      .on(ReEncryptCommand)
      .resolves({ CiphertextBlob: new Uint8Array([8]), KeyId: KEY_ARN, DestinationKeyMaterialId: 'm2' });
    const next = await kmsService().service.reWrap(Buffer.from([7]), CONTEXT, 'alias/tessera-vault');
    expect(kms).toHaveReceivedCommandExactlyOnceWith(ReEncryptCommand, {
      CiphertextBlob: Buffer.from([7]),
      SourceEncryptionContext: CONTEXT,
      DestinationKeyId: 'alias/tessera-vault',
      DestinationEncryptionContext: CONTEXT,
    });
    expect(next).toEqual({ wrapped: Buffer.from([8]), keyId: KEY_ARN, keyVersion: 'm2' });
  });

  it('encrypts and decrypts small secrets directly (Encrypt/Decrypt), up to 4 KiB', async () => {
    kms.on(EncryptCommand).resolves({ CiphertextBlob: new Uint8Array([6, 6]), KeyId: KEY_ARN });
    kms
      .on(DecryptCommand)
      .resolves({ Plaintext: new Uint8Array(Buffer.from('totp-secret')), KeyId: KEY_ARN });
    const { service } = kmsService();
    const context = { purpose: 'totp', customerId: 'cus_1' };
    const blob = await service.encrypt('alias/tessera-2fa', Buffer.from('totp-secret'), context);
    expect(blob).toEqual(Buffer.from([6, 6]));
    expect(kms).toHaveReceivedCommandWith(EncryptCommand, {
      KeyId: 'alias/tessera-2fa',
      Plaintext: Buffer.from('totp-secret'),
      EncryptionContext: context,
    });
    expect((await service.decrypt(blob, context)).toString()).toBe('totp-secret');
    expect(kms).toHaveReceivedCommandWith(DecryptCommand, {
      CiphertextBlob: blob,
      EncryptionContext: context,
    });
    await expect(service.encrypt('alias/tessera-2fa', Buffer.alloc(4097), context)).rejects.toThrow(
      RangeError,
    );
    expect(kms).toHaveReceivedCommandTimes(EncryptCommand, 1);
  });

  it('retries throttling with bounded, growing backoff, then succeeds', async () => {
    kms
      .on(GenerateDataKeyCommand)
      .rejectsOnce(awsError('ThrottlingException', 400))
      .rejectsOnce(new KMSInternalException({ message: 'internal', $metadata: { httpStatusCode: 500 } }))
      .resolves({ Plaintext: new Uint8Array(32), CiphertextBlob: new Uint8Array([1]), KeyId: KEY_ARN });
    const { service, delays } = kmsService();
    await service.generateDataKey(KEY_ARN, CONTEXT);
    expect(kms).toHaveReceivedCommandTimes(GenerateDataKeyCommand, 3);
    expect(delays).toEqual([49, 99]);
  });

  it('surfaces persistent throttling as a 503 after the configured attempts', async () => {
    kms.on(DecryptCommand).rejects(awsError('ThrottlingException', 400));
    const { service, delays } = kmsService({ maxAttempts: 5 });
    const error = await caught(service.decryptDataKey(Buffer.from([1]), CONTEXT));
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 503, code: 'service_unavailable' });
    expect(kms).toHaveReceivedCommandTimes(DecryptCommand, 5);
    expect(delays).toHaveLength(4);
    expect(Math.max(...delays)).toBeLessThanOrEqual(1_000);
  });

  it('retries network failures too', async () => {
    kms
      .on(EncryptCommand)
      .rejectsOnce(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))
      .resolves({ CiphertextBlob: new Uint8Array([1]), KeyId: KEY_ARN });
    await kmsService().service.encrypt(KEY_ARN, Buffer.from('x'), CONTEXT);
    expect(kms).toHaveReceivedCommandTimes(EncryptCommand, 2);
  });

  it.each([
    ['AccessDeniedException', () => awsError('AccessDeniedException', 400)],
    ['InvalidCiphertextException', () => new InvalidCiphertextException({ message: 'bad', $metadata: {} })],
    ['IncorrectKeyException', () => awsError('IncorrectKeyException', 400)],
  ])('turns %s on an unwrap into decryption_failed at once, never a 503', async (_name, make) => {
    kms.on(DecryptCommand).rejects(make());
    kms.on(ReEncryptCommand).rejects(make());
    const { service } = kmsService();
    const error = await caught(service.decryptDataKey(Buffer.from([1]), CONTEXT));
    expect(isDecryptionFailed(error)).toBe(true);
    expect(error).toMatchObject({ status: 500, code: 'decryption_failed' });
    expect(isDecryptionFailed(await caught(service.reWrap(Buffer.from([1]), CONTEXT, KEY_ARN)))).toBe(true);
    expect(kms).toHaveReceivedCommandTimes(DecryptCommand, 1);
  });

  it('lets a configuration fault on wrap propagate as it is (not a 503, not a decrypt failure)', async () => {
    kms.on(GenerateDataKeyCommand).rejects(awsError('AccessDeniedException', 400));
    const error = await caught(kmsService().service.generateDataKey(KEY_ARN, CONTEXT));
    expect(error).toMatchObject({ name: 'AccessDeniedException' });
    expect(kms).toHaveReceivedCommandTimes(GenerateDataKeyCommand, 1);
  });

  it('classifies errors', () => {
    expect(isRetryableKmsError(awsError('ThrottlingException', 400))).toBe(true);
    expect(isRetryableKmsError(awsError('DependencyTimeoutException', 503))).toBe(true);
    expect(isRetryableKmsError(awsError('SomethingNew', 502))).toBe(true);
    expect(isRetryableKmsError(Object.assign(new Error('x'), { code: 'ETIMEDOUT' }))).toBe(true);
    expect(isRetryableKmsError(awsError('AccessDeniedException', 400))).toBe(false);
    expect(isRetryableKmsError(awsError('ValidationException', 400))).toBe(false);
    expect(isRetryableKmsError('ThrottlingException')).toBe(false);
  });
});

describe('LocalKeyService', () => {
  const dirs: string[] = [];
  async function dataDir(): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'tessera-kms-'));
    dirs.push(dir);
    return dir;
  }
  afterAll(async () => {
    await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  it('creates <dataDir>/local-kms.json on first use, readable by the owner only', async () => {
    const dir = join(await dataDir(), 'nested');
    const service = new LocalKeyService({ dataDir: dir });
    await service.generateDataKey('vault', CONTEXT);
    const file = join(dir, LOCAL_KMS_FILE);
    expect(service.path).toBe(file);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const parsed = JSON.parse(await readFile(file, 'utf8'));
    expect(parsed.keys.vault.current).toBe(1);
    expect(Buffer.from(parsed.keys.vault.versions['1'].material, 'base64')).toHaveLength(32);
  });

  it('tightens a key file that others could read', async () => {
    const dir = await dataDir();
    const first = new LocalKeyService({ dataDir: dir });
    await first.generateDataKey('vault', CONTEXT);
    const file = join(dir, LOCAL_KMS_FILE);
    await chmod(file, 0o644);
    await new LocalKeyService({ dataDir: dir }).generateDataKey('vault', CONTEXT);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it('wraps a 32-byte data key that unwraps with the same context, in any order', async () => {
    const service = new LocalKeyService({ dataDir: await dataDir() });
    const context = { purpose: 'card-vault', stage: 'local' };
    const key = await service.generateDataKey('vault', context);
    expect(key.plaintext).toHaveLength(32);
    expect(key).toMatchObject({ keyId: 'vault', keyVersion: 'v1' });
    expect(key.wrapped.includes(key.plaintext)).toBe(false);
    expect(await service.decryptDataKey(key.wrapped, { stage: 'local', purpose: 'card-vault' })).toEqual(
      key.plaintext,
    );
    expect(await service.unwrapDataKey(key.wrapped, context, 'vault')).toEqual({
      plaintext: key.plaintext,
      keyId: 'vault',
      keyVersion: 'v1',
    });
  });

  it('fails like KMS on a wrong context, another key, or a tampered blob', async () => {
    const service = new LocalKeyService({ dataDir: await dataDir() });
    const { wrapped } = await service.generateDataKey('vault', CONTEXT);
    const failures = [
      service.decryptDataKey(wrapped, { purpose: '2fa' }),
      service.decryptDataKey(wrapped, { ...CONTEXT, extra: 'x' }),
      service.decryptDataKey(wrapped, {}),
      service.unwrapDataKey(wrapped, CONTEXT, 'other-key'),
      service.decryptDataKey(flipLastBit(wrapped), CONTEXT),
      service.decryptDataKey(wrapped.subarray(0, 20), CONTEXT),
      service.decryptDataKey(Buffer.from('not a blob at all, really not one'), CONTEXT),
    ];
    for (const failure of failures) expect(isDecryptionFailed(await caught(failure))).toBe(true);
    // The version in the header is authenticated: pointing it at another version fails.
    await service.rotate('vault');
    const forged = Buffer.from(wrapped);
    forged.writeUInt32BE(2, 4 + 2 + 'vault'.length);
    expect(isDecryptionFailed(await caught(service.decryptDataKey(forged, CONTEXT)))).toBe(true);
  });

  it('rotate() adds a version: new keys use it, old ones still unwrap, reWrap moves them over', async () => {
    const dir = await dataDir();
    const service = new LocalKeyService({ dataDir: dir });
    const old = await service.generateDataKey('vault', CONTEXT);
    await service.rotate();
    expect(await service.currentVersion('vault')).toBe('v2');
    const fresh = await service.generateDataKey('vault', CONTEXT);
    expect(fresh.keyVersion).toBe('v2');
    expect(await service.decryptDataKey(old.wrapped, CONTEXT)).toEqual(old.plaintext);
    const moved = await service.reWrap(old.wrapped, CONTEXT, 'vault');
    expect(moved).toMatchObject({ keyId: 'vault', keyVersion: 'v2' });
    expect(moved.wrapped.equals(old.wrapped)).toBe(false);
    expect(await service.decryptDataKey(moved.wrapped, CONTEXT)).toEqual(old.plaintext);
    // A second process (a fresh instance on the same file) sees both versions.
    const other = new LocalKeyService({ dataDir: dir });
    expect(await other.decryptDataKey(old.wrapped, CONTEXT)).toEqual(old.plaintext);
    expect(await other.unwrapDataKey(moved.wrapped, CONTEXT)).toMatchObject({ keyVersion: 'v2' });
  });

  it('sees a rotation made by another instance when it meets the new version', async () => {
    const dir = await dataDir();
    const a = new LocalKeyService({ dataDir: dir });
    const b = new LocalKeyService({ dataDir: dir });
    await a.generateDataKey('vault', CONTEXT);
    await b.generateDataKey('vault', CONTEXT);
    await b.rotate('vault');
    const fromB = await b.generateDataKey('vault', CONTEXT);
    expect(fromB.keyVersion).toBe('v2');
    expect(await a.decryptDataKey(fromB.wrapped, CONTEXT)).toEqual(fromB.plaintext);
  });

  it('does not lose a key when two instances create keys at the same time', async () => {
    const dir = await dataDir();
    const instances = Array.from({ length: 4 }, () => new LocalKeyService({ dataDir: dir }));
    const keys = await Promise.all(
      instances.map((service, i) => service.generateDataKey(`key-${i}`, CONTEXT)),
    );
    const reader = new LocalKeyService({ dataDir: dir });
    for (const key of keys) expect(await reader.decryptDataKey(key.wrapped, CONTEXT)).toEqual(key.plaintext);
  });

  it('encrypts small secrets directly, bound to their context', async () => {
    const service = new LocalKeyService({ dataDir: await dataDir() });
    const context = { purpose: 'totp', customerId: 'cus_1' };
    const blob = await service.encrypt('2fa', Buffer.from('JBSWY3DPEHPK3PXP'), context);
    expect(blob.includes(Buffer.from('JBSWY3DPEHPK3PXP'))).toBe(false);
    expect((await service.decrypt(blob, context)).toString()).toBe('JBSWY3DPEHPK3PXP');
    expect(isDecryptionFailed(await caught(service.decrypt(blob, { ...context, customerId: 'cus_2' })))).toBe(
      true,
    );
    await expect(service.encrypt('2fa', Buffer.alloc(4097), context)).rejects.toThrow(RangeError);
  });
});

describe('keyService()', () => {
  const saved = { local: process.env.TESSERA_LOCAL, dir: process.env.TESSERA_DATA_DIR };
  afterEach(() => {
    process.env.TESSERA_LOCAL = saved.local;
    process.env.TESSERA_DATA_DIR = saved.dir;
    if (saved.local === undefined) delete process.env.TESSERA_LOCAL;
    if (saved.dir === undefined) delete process.env.TESSERA_DATA_DIR;
    resetConfig();
    setKeyService(undefined);
  });

  it('is local in the local runtime and KMS otherwise, and can be replaced', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tessera-kms-'));
    process.env.TESSERA_LOCAL = '1';
    process.env.TESSERA_DATA_DIR = dir;
    resetConfig();
    setKeyService(undefined);
    const local = keyService();
    expect(local).toBeInstanceOf(LocalKeyService);
    expect((local as LocalKeyService).path).toBe(join(dir, LOCAL_KMS_FILE));
    expect(keyService()).toBe(local);

    process.env.TESSERA_LOCAL = '0';
    resetConfig();
    setKeyService(undefined);
    expect(keyService()).toBeInstanceOf(KmsKeyService);

    const stub = {} as KeyService;
    setKeyService(stub);
    expect(keyService()).toBe(stub);
    await rm(dir, { recursive: true, force: true });
  });

  it('never falls back to KMS locally: without a registered local factory it refuses', () => {
    process.env.TESSERA_LOCAL = '1';
    resetConfig();
    setKeyService(undefined);
    setLocalKeyServiceFactory(undefined);
    try {
      expect(() => keyService()).toThrow(/no local key service/);
    } finally {
      setLocalKeyServiceFactory((dataDir) => new LocalKeyService({ dataDir }));
    }
    expect(keyService()).toBeInstanceOf(LocalKeyService);
  });

  it('encodes contexts canonically', () => {
    expect(canonicalContext({ b: '2', a: '1' })).toBe(canonicalContext({ a: '1', b: '2' }));
    expect(canonicalContext({ a: 'b,c' })).not.toBe(canonicalContext({ 'a,b': 'c' }));
  });
});
