// `npm run bench`: performance budgets from ARCHITECTURE.md, reported as ratios measured in one run.
import { existsSync } from 'node:fs';
import { startDynamoDbLocal } from '../../infra/local/dynamodb-local.ts';
import { coldStartBench } from './cold-start.ts';
import { handlerOverheadBench } from './handler-overhead.ts';

const f = (n: number, d = 2) => n.toFixed(d);
let failures = 0;
const check = (ok: boolean, label: string) => {
  if (!ok) failures++;
  return ok ? `ok   ${label}` : `OVER ${label}`;
};

process.stdout.write('cold start: bundling and importing every function (median of 7 fresh processes)…\n');
const cold = await coldStartBench();
process.stdout.write(
  `  baseline (DynamoDB client only): ${f(cold.baselineKb, 0)} KB, ${f(cold.baselineMs, 1)} ms\n`,
);
for (const row of cold.rows) {
  process.stdout.write(
    `  ${check(row.ratio <= 1.5, `${row.entry.padEnd(36)} ${f(row.kb, 0).padStart(5)} KB ${f(row.ms, 1).padStart(6)} ms  ${f(row.ratio)}x (budget 1.5x)`)}\n`,
  );
}

const dynamo = await startDynamoDbLocal({ inMemory: true });
try {
  process.stdout.write(
    'handler overhead: GET /v1/config via the local gateway vs the raw GetItem (3,000 each)…\n',
  );
  const h = await handlerOverheadBench(dynamo.endpoint);
  process.stdout.write(
    `  raw GetItem p50 ${f(h.raw.p50)} ms p99 ${f(h.raw.p99)} ms; gateway p50 ${f(h.gateway.p50)} ms p99 ${f(h.gateway.p99)} ms\n`,
  );
  process.stdout.write(`  ${check(h.ratioP50 <= 1.3, `p50 ratio ${f(h.ratioP50)}x (budget 1.3x)`)}\n`);
  process.stdout.write(`  ${check(h.ratioP99 <= 1.3, `p99 ratio ${f(h.ratioP99)}x (budget 1.3x)`)}\n`);

  const ordersBench = new URL('./orders.ts', import.meta.url);
  if (existsSync(ordersBench)) {
    const mod = (await import(ordersBench.href)) as { run?: (endpoint: string) => Promise<void> };
    await mod.run?.(dynamo.endpoint);
  }
  const { run: collectionRun } = await import('./collection.ts');
  if (!(await collectionRun(dynamo.endpoint))) failures++;
} finally {
  await dynamo.stop();
}
process.stdout.write(failures === 0 ? 'all budgets met\n' : `${failures} budget(s) exceeded\n`);
process.exitCode = failures === 0 ? 0 : 1;
