import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, inject } from 'vitest';
import { type Clock, setClock } from '../../functions/lib/clock.ts';
import { type LocalRuntime, startLocalRuntime } from '../../infra/local/runtime.ts';
import { learnUsageKey, withUsageKey } from './usage-keys.ts';

export interface ApiResponse<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  text: string;
  json: T;
}

export interface TestApp extends LocalRuntime {
  prefix: string;
  /** Calls the local gateway over real HTTP. `auth` is sent as a Bearer token. */
  call<T = Record<string, unknown>>(
    method: string,
    path: string,
    options?: { body?: unknown; rawBody?: string; auth?: string; headers?: Record<string, string> },
  ): Promise<ApiResponse<T>>;
  /** Every item of every table of this app (tests use it to prove "nothing written" and no leaks). */
  scanAll(): Promise<Record<string, Record<string, unknown>[]>>;
  operator: string;
}

/**
 * A fresh app per test file: its own table prefix in its own database on the shared DynamoDB Local,
 * its own data dir, behind the real local gateway on a free port.
 */
export async function startTestApp(
  options: {
    throttle?: { ratePerSecond: number; burst: number };
    seed?: boolean;
    merchantApiKeys?: boolean;
  } = {},
): Promise<TestApp> {
  const endpoint = inject('dynamodbEndpoint');
  const prefix = `t${randomBytes(4).toString('hex')}-`;
  const runtime = await startLocalRuntime({
    dataDir: mkdtempSync(join(tmpdir(), 'tessera-test-')),
    // This file's own database on the shared DynamoDB Local (test/support/setup-env.ts).
    dynamodb: { endpoint, accessKeyId: process.env.AWS_ACCESS_KEY_ID },
    tablePrefix: prefix,
    operatorToken: `op_test_${randomBytes(16).toString('hex')}`,
    seed: options.seed ?? false,
    scheduler: false,
    throttle: options.throttle ?? { ratePerSecond: 10_000, burst: 10_000 },
    // `true`: as deployed, merchant routes require the usage key issued at onboarding (`call` sends
    // it with the merchant's secret key). Off by default until the tests that expect the handler's
    // 401 for an anonymous merchant request expect the gateway's 403 usage_key_invalid first.
    merchantApiKeys: options.merchantApiKeys ?? false,
  });
  const admin = new DynamoDBClient({ endpoint, region: 'us-east-1' });

  const call: TestApp['call'] = async (method, path, opts = {}) => {
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    if (opts.auth) headers.Authorization = `Bearer ${opts.auth}`;
    withUsageKey(headers, opts.auth);
    let body: string | undefined = opts.rawBody;
    if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers['Content-Type'] ??= 'application/json';
    }
    const res = await fetch(`${runtime.url}${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body }),
    });
    const text = await res.text();
    let json: unknown = {};
    try {
      json = text ? JSON.parse(text) : {};
    } catch {
      json = {};
    }
    learnUsageKey(json);
    return { status: res.status, headers: res.headers, text, json: json as never };
  };

  const scanAll = async () => {
    const out: Record<string, Record<string, unknown>[]> = {};
    for (const name of [`${prefix}main`, `${prefix}vault`]) {
      const items: Record<string, unknown>[] = [];
      let startKey: Record<string, never> | undefined;
      do {
        const page = await admin.send(new ScanCommand({ TableName: name, ExclusiveStartKey: startKey }));
        for (const item of page.Items ?? []) items.push(unmarshall(item));
        startKey = page.LastEvaluatedKey as Record<string, never> | undefined;
      } while (startKey);
      out[name.slice(prefix.length)] = items;
    }
    return out;
  };

  return {
    ...runtime,
    prefix,
    call,
    scanAll,
    operator: runtime.operatorToken,
    close: async () => {
      admin.destroy();
      await runtime.close();
    },
  };
}

/**
 * One app for the test file, whose in-process handlers run on `clock` (set before the app starts,
 * reset after it closes). Returns a getter: the app exists once `beforeAll` ran.
 */
export function appWithClock(clock: Clock): () => TestApp {
  let app: TestApp | undefined;
  beforeAll(async () => {
    setClock(clock);
    app = await startTestApp();
  });
  afterAll(async () => {
    await app?.close();
    setClock(undefined);
  });
  return () => {
    if (!app) throw new Error('the test app is not started yet');
    return app;
  };
}
