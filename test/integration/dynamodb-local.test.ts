/**
 * The launcher and the table bootstrap against the real DynamoDB Local of globalSetup, plus a few
 * private instances for the lifecycle checks (stop, parent SIGKILL, missing java).
 *
 * Tampered cache behaviour (chosen): a cached jar whose sha256 does not match is discarded and
 * fetched again; a freshly fetched jar that does not match throws and leaves no cache behind.
 */
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import {
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  TransactWriteItemsCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DUE_INDEX, GSI1, GSI2 } from '../../functions/lib/tables.ts';
import { createTables, tableEnv } from '../../infra/local/bootstrap-tables.ts';
import {
  DYNAMODB_LOCAL_JAR_SHA256,
  DYNAMODB_LOCAL_VERSION,
  ensureDynamoDbJar,
  JAVA_MISSING_MESSAGE,
  startDynamoDbLocal,
} from '../../infra/local/dynamodb-local.ts';

const execFileAsync = promisify(execFile);
const LAUNCHER = fileURLToPath(new URL('../../infra/local/dynamodb-local.ts', import.meta.url));

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'tessera-ddb-local-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

/** Alive means signalable and not a zombie (an orphan's zombie lingers until init reaps it). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return true; // no /proc (macOS): kill -0 is all we have
  }
}

async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (condition()) return true;
    await new Promise((done) => setTimeout(done, 100));
  }
  return condition();
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

describe('jar cache', () => {
  it('discards a tampered cached jar and fetches the verified one again', async () => {
    const cacheDir = join(scratch, 'tampered-cache');
    const jar = join(cacheDir, DYNAMODB_LOCAL_VERSION, 'DynamoDBLocal.jar');
    await mkdir(join(cacheDir, DYNAMODB_LOCAL_VERSION), { recursive: true });
    await writeFile(jar, 'not the real jar');
    const messages: string[] = [];

    const home = await ensureDynamoDbJar({ cacheDir, onProgress: (m) => messages.push(m) });

    expect(home).toBe(join(cacheDir, DYNAMODB_LOCAL_VERSION));
    expect(sha256(await readFile(jar))).toBe(DYNAMODB_LOCAL_JAR_SHA256);
    expect(existsSync(join(home, 'DynamoDBLocal_lib'))).toBe(true);
    expect(messages[0]).toMatch(/fails its sha256 check/);
    expect(messages).toContain('verifying sha256…');
    // No temp folder of the fetch is left behind.
    expect((await readdir(cacheDir)).sort()).toEqual([DYNAMODB_LOCAL_VERSION]);
  });

  it('rejects a fetched jar whose sha256 does not match and caches nothing', async () => {
    const cacheDir = join(scratch, 'bad-download');
    const fake = join(scratch, 'fake-tarball');
    await mkdir(join(fake, 'package', 'emulator', 'DynamoDBLocal_lib'), { recursive: true });
    await writeFile(join(fake, 'package', 'emulator', 'DynamoDBLocal.jar'), 'evil jar');
    const tarball = join(scratch, 'fake.tgz');
    await execFileAsync('tar', ['-czf', tarball, '-C', fake, 'package']);

    await expect(ensureDynamoDbJar({ cacheDir, tarballPath: tarball })).rejects.toThrow(
      /failed verification: expected sha256 454305e9.*Nothing was cached/,
    );
    expect(await readdir(cacheDir)).toEqual([]);
  });
});

describe('createTables', () => {
  const client = new DynamoDBClient({
    endpoint: inject('dynamodbEndpoint'),
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const prefix = `t${Date.now().toString(36)}-`;
  afterAll(() => client.destroy());

  it('gets the globalSetup endpoint through both inject() and DYNAMODB_ENDPOINT', () => {
    expect(inject('dynamodbEndpoint')).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(process.env.DYNAMODB_ENDPOINT).toBe(inject('dynamodbEndpoint'));
  });

  it('creates every table with its keys, GSIs, billing, stream and TTL', async () => {
    const names = await createTables(client, prefix);
    expect(names).toEqual({ main: `${prefix}main`, vault: `${prefix}vault` });
    expect(tableEnv(prefix)).toEqual({ TABLE_NAME: names.main, VAULT_TABLE_NAME: names.vault });

    const main = (await client.send(new DescribeTableCommand({ TableName: names.main }))).Table;
    expect(main?.TableStatus).toBe('ACTIVE');
    expect(main?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
    expect(main?.KeySchema).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
    expect(main?.StreamSpecification).toEqual({ StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' });
    const indexes = (main?.GlobalSecondaryIndexes ?? []).map((i) => ({
      name: i.IndexName,
      keys: i.KeySchema?.map((k) => k.AttributeName),
      projection: i.Projection?.ProjectionType,
    }));
    expect(indexes.sort((a, b) => String(a.name).localeCompare(String(b.name)))).toEqual([
      { name: DUE_INDEX, keys: ['duePk', 'dueSk'], projection: 'ALL' },
      { name: GSI1, keys: ['gsi1pk', 'gsi1sk'], projection: 'ALL' },
      { name: GSI2, keys: ['gsi2pk', 'gsi2sk'], projection: 'ALL' },
    ]);

    const vault = (await client.send(new DescribeTableCommand({ TableName: names.vault }))).Table;
    expect(vault?.GlobalSecondaryIndexes ?? []).toEqual([]);
    expect(vault?.StreamSpecification?.StreamEnabled ?? false).toBe(false);

    for (const TableName of [names.main, names.vault]) {
      const ttl = (await client.send(new DescribeTimeToLiveCommand({ TableName }))).TimeToLiveDescription;
      expect(ttl).toEqual({ TimeToLiveStatus: 'ENABLED', AttributeName: 'ttl' });
    }
  });

  it('is idempotent and leaves existing tables (and their data) alone', async () => {
    const names = await createTables(client, prefix);
    const item = { pk: { S: 'KEEP' }, sk: { S: 'ME' } };
    await client.send(new PutItemCommand({ TableName: names.main, Item: item }));

    expect(await createTables(client, prefix)).toEqual(names);
    const kept = await client.send(new GetItemCommand({ TableName: names.main, Key: item }));
    expect(kept.Item).toEqual(item);
  });

  it('runs real transactions: a failing condition cancels the whole TransactWriteItems', async () => {
    const { main } = await createTables(client, prefix);
    await client.send(new PutItemCommand({ TableName: main, Item: { pk: { S: 'TX' }, sk: { S: 'TAKEN' } } }));

    const attempt = client.send(
      new TransactWriteItemsCommand({
        TransactItems: [
          { Put: { TableName: main, Item: { pk: { S: 'TX' }, sk: { S: 'NEW' } } } },
          {
            Put: {
              TableName: main,
              Item: { pk: { S: 'TX' }, sk: { S: 'TAKEN' } },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
        ],
      }),
    );
    await expect(attempt).rejects.toMatchObject({
      name: 'TransactionCanceledException',
      CancellationReasons: [{ Code: 'None' }, { Code: 'ConditionalCheckFailed' }],
    });
    const other = await client.send(
      new GetItemCommand({ TableName: main, Key: { pk: { S: 'TX' }, sk: { S: 'NEW' } } }),
    );
    expect(other.Item).toBeUndefined();
  });
});

describe('process lifecycle', () => {
  it('stop() leaves no java process behind (dbPath mode, a folder it creates)', async () => {
    const dbPath = join(scratch, 'data', 'nested');
    const dynamodb = await startDynamoDbLocal({ dbPath });
    expect(isAlive(dynamodb.pid)).toBe(true);
    expect(dynamodb.endpoint).toBe(`http://127.0.0.1:${dynamodb.port}`);
    expect(existsSync(dbPath)).toBe(true);

    await dynamodb.stop();
    expect(isAlive(dynamodb.pid)).toBe(false);
    await dynamodb.stop(); // idempotent
  });

  it('kills java when the parent process is SIGKILLed (watchdog)', async () => {
    // A real Node 24 parent: starts DynamoDB Local, prints java's pid, then waits to be killed.
    const script = `
      const { startDynamoDbLocal } = await import(${JSON.stringify(pathToFileURL(LAUNCHER).href)});
      const d = await startDynamoDbLocal({ inMemory: true });
      process.stdout.write(String(d.pid) + '\\n');
      setInterval(() => {}, 1000);
    `;
    const parent = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const javaPid = await new Promise<number>((done, fail) => {
      parent.stdout.setEncoding('utf8');
      parent.stdout.once('data', (line: string) => done(Number(line.trim())));
      parent.once('exit', (code) => fail(new Error(`parent exited early with ${code}`)));
    });
    expect(isAlive(javaPid)).toBe(true);

    parent.kill('SIGKILL');
    const gone = await waitUntil(() => !isAlive(javaPid), 8_000);
    if (!gone) process.kill(javaPid, 'SIGKILL'); // don't leak it even when the test fails
    expect(gone).toBe(true);
  });

  it('fails with one clear sentence when java is not on PATH', async () => {
    const emptyDir = join(scratch, 'empty-bin');
    await mkdir(emptyDir, { recursive: true });
    const savedPath = process.env.PATH;
    process.env.PATH = emptyDir;
    try {
      await expect(startDynamoDbLocal({ inMemory: true })).rejects.toThrow(JAVA_MISSING_MESSAGE);
    } finally {
      process.env.PATH = savedPath;
    }
    expect(JAVA_MISSING_MESSAGE).toMatch(/^Java 17\+ is required to run DynamoDB Local: [^\n]*\.$/);
  });
});
