import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keyService } from '../../functions/lib/key-service.ts';
import { type LocalRuntime, startLocalRuntime } from '../../infra/local/runtime.ts';
import type { ApiResponse, TestApp } from '../support/app.ts';
import { registerCustomer, stepUp } from '../support/customers.ts';

/** The sample at percentile `p` (nearest rank). */
export function percentile(xs: number[], p: number): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

export const median = (xs: number[]) => percentile(xs, 50);

/** One line of the bench table: a ratio or a count, with its budget when it has one. */
export interface BenchRow {
  section: string;
  name: string;
  value: number | null;
  unit: string;
  /** `value <= budget` passes; absent: reported, no budget. */
  budget?: number;
  ok?: boolean;
  note?: string;
}

export function row(
  section: string,
  name: string,
  value: number | null,
  unit: string,
  extra: Partial<BenchRow> = {},
): BenchRow {
  const ok = extra.budget === undefined || value === null ? undefined : value <= extra.budget;
  return { section, name, value, unit, ...extra, ...(ok === undefined ? {} : { ok }) };
}

/** One run's reads of the due index: read units, index items, and the items found due. */
export interface DueIndexReads {
  readUnits: number;
  itemsRead: number;
  due: number;
}

/**
 * The scale rule of ARCHITECTURE.md (Collection) as bench rows: due-index read units per item due
 * with the table at 1x and at 10x items that are not due, their ratio (budget 1.1x) and the extra
 * index items the 10x table made a run read (budget 0). `item` names what is due ("due installment").
 */
export function dueIndexScalingRows(
  section: string,
  item: string,
  oneX: DueIndexReads & { table: string },
  tenX: DueIndexReads & { table: string },
): BenchRow[] {
  const per = (x: DueIndexReads) => x.readUnits / Math.max(1, x.due);
  return [
    row(section, `due-index RCU per ${item}, 1x (${oneX.table})`, per(oneX), 'RCU'),
    row(section, `due-index RCU per ${item}, 10x (${tenX.table})`, per(tenX), 'RCU'),
    row(section, `RCU per ${item} 10x / 1x`, per(tenX) / per(oneX), 'x', { budget: 1.1 }),
    row(section, 'index items read 10x - 1x', tenX.itemsRead - oneX.itemsRead, 'items', { budget: 0 }),
  ];
}

import type { DdbCost } from '../support/dynamo-commands.ts';

export { type DdbCost, ddbCounter } from '../support/dynamo-commands.ts';

/** `cost` divided by `n` operations. */
export function perOperation(cost: DdbCost, n: number): DdbCost {
  return {
    calls: Object.fromEntries(Object.entries(cost.calls).map(([k, v]) => [k, v / n])),
    total: cost.total / n,
    readUnits: cost.readUnits / n,
    writeUnits: cost.writeUnits / n,
  };
}

/** Runs `task(i)` for i in [0, n) with at most `concurrency` in flight. */
export async function pool<T>(n: number, concurrency: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(n);
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      out[i] = await task(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, concurrency) }, worker));
  return out;
}

/**
 * The local runtime on the bench's DynamoDB Local (the section's own database), unthrottled, with
 * one merchant created through the operator API: what each bench measures against.
 */
export async function startBenchApp(
  endpoint: string,
): Promise<{ runtime: LocalRuntime; merchant: { id: string; apiKey: string }; prefix: string }> {
  const prefix = `b${randomBytes(3).toString('hex')}-`;
  const runtime = await startLocalRuntime({
    dataDir: mkdtempSync(join(tmpdir(), 'tessera-bench-')),
    // The section's own database (run.ts starts DynamoDB Local without -sharedDb).
    dynamodb: { endpoint, accessKeyId: process.env.AWS_ACCESS_KEY_ID },
    tablePrefix: prefix,
    operatorToken: 'op_bench',
    throttle: { ratePerSecond: 1e6, burst: 1e6 },
  });
  const created = await fetch(`${runtime.url}/v1/admin/merchants`, {
    method: 'POST',
    headers: { Authorization: 'Bearer op_bench', 'Content-Type': 'application/json' },
    body: JSON.stringify({ name: 'Bench' }),
  });
  if (created.status !== 201) {
    await runtime.close();
    throw new Error(`creating the bench merchant answered ${created.status}`);
  }
  const merchant = (await created.json()) as { id: string; apiKey: string };
  // Merchants start pending_review; only an active one takes payments.
  const activated = await fetch(`${runtime.url}/v1/admin/merchants/${merchant.id}/activate`, {
    method: 'POST',
    headers: { Authorization: 'Bearer op_bench' },
  });
  if (activated.status !== 200) {
    await runtime.close();
    throw new Error(`activating the bench merchant answered ${activated.status}`);
  }
  return { runtime, prefix, merchant };
}

/** The `call` of test/support/app.ts over plain fetch (the bench runs outside vitest). */
export function httpCaller(url: string): Pick<TestApp, 'call'> {
  return {
    async call<T>(
      method: string,
      path: string,
      opts: { body?: unknown; rawBody?: string; auth?: string; headers?: Record<string, string> } = {},
    ): Promise<ApiResponse<T>> {
      const headers: Record<string, string> = { ...(opts.headers ?? {}) };
      if (opts.auth) headers.Authorization = `Bearer ${opts.auth}`;
      let body = opts.rawBody;
      if (opts.body !== undefined) {
        body = JSON.stringify(opts.body);
        headers['Content-Type'] ??= 'application/json';
      }
      const res = await fetch(`${url}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
      const text = await res.text();
      return { status: res.status, headers: res.headers, text, json: (text ? JSON.parse(text) : {}) as T };
    },
  };
}

/** A shopper with a card in the vault, through the API (register, step-up, POST /v1/me/cards). */
export async function benchShopper(url: string, number = '4242424242424242') {
  const app = httpCaller(url) as TestApp;
  const shopper = await registerCustomer(app);
  const token = await stepUp(app, shopper.sessionToken, 'add_card');
  const card = await app.call<{ token: string }>('POST', '/v1/me/cards', {
    auth: shopper.sessionToken,
    headers: { 'Step-Up-Token': token },
    body: { number, expMonth: 12, expYear: 2030, cvc: '123' },
  });
  if (card.status !== 201) throw new Error(`adding the bench card answered ${card.status}: ${card.text}`);
  return { ...shopper, cardToken: card.json.token };
}

const KEY_METHODS = ['generateDataKey', 'decryptDataKey', 'unwrapDataKey', 'reWrap', 'encrypt', 'decrypt'];

/**
 * Counts the key service calls (each port method is one KMS API call in the KMS adapter,
 * functions/lib/key-service-kms.ts) while counting is on.
 */
export function keyCounter() {
  let counting = false;
  let calls = 0;
  const keys = keyService() as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  const originals = new Map<string, (...args: unknown[]) => Promise<unknown>>();
  for (const method of KEY_METHODS) {
    const original = keys[method];
    if (typeof original !== 'function') continue;
    originals.set(method, original);
    keys[method] = (...args: unknown[]) => {
      if (counting) calls += 1;
      return original.apply(keys, args);
    };
  }
  return {
    start() {
      calls = 0;
      counting = true;
    },
    pause() {
      counting = false;
    },
    resume() {
      counting = true;
    },
    stop() {
      counting = false;
      return calls;
    },
    detach() {
      for (const [method, original] of originals) keys[method] = original;
    },
  };
}
