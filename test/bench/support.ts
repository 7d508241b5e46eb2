import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LocalRuntime, startLocalRuntime } from '../../infra/local/runtime.ts';

/** The sample at percentile `p` (nearest rank). */
export function percentile(xs: number[], p: number): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

/**
 * The local runtime on a shared DynamoDB Local, unthrottled, with one merchant created through the
 * operator API: what each bench measures against.
 */
export async function startBenchApp(
  endpoint: string,
): Promise<{ runtime: LocalRuntime; merchant: { id: string; apiKey: string } }> {
  const runtime = await startLocalRuntime({
    dataDir: mkdtempSync(join(tmpdir(), 'tessera-bench-')),
    dynamodb: { endpoint },
    tablePrefix: `b${randomBytes(3).toString('hex')}-`,
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
  return { runtime, merchant };
}
