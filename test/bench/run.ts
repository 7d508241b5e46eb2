/**
 * `npm run bench`: the performance budgets of ARCHITECTURE.md, every figure a ratio or a count
 * measured in this run (pairs alternated A B A B, medians over repeats, so machine drift cancels).
 * Prints one table, writes it as JSON under test/bench/results/, exits 1 when a budget is missed.
 * docs/performance.md explains each figure.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { logger } from '../../functions/lib/logger.ts';
import { startDynamoDbLocal } from '../../infra/local/dynamodb-local.ts';
import { run as coldStartRun } from './cold-start.ts';
import { run as collectionRun } from './collection.ts';
import { run as handlerOverheadRun } from './handler-overhead.ts';
import { run as ordersRun } from './orders.ts';
import { run as riskRun } from './risk.ts';
import { run as subscriptionsRun } from './subscriptions.ts';
import type { BenchRow } from './support.ts';
import { run as vaultRun } from './vault.ts';

// DynamoDB Local takes any credentials; never pick up real ones.
Object.assign(process.env, {
  AWS_ACCESS_KEY_ID: 'local',
  AWS_SECRET_ACCESS_KEY: 'local',
  AWS_REGION: process.env.AWS_REGION ?? 'us-east-1',
  // The vault bench registers ~50 shoppers from 127.0.0.1 (the per-IP limit has its own test).
  REGISTRATIONS_PER_IP_PER_HOUR: '10000',
});
delete process.env.AWS_SESSION_TOKEN;
delete process.env.AWS_PROFILE;

// The figures, not the per-request logs.
logger.setLogLevel('WARN');

const say = (line: string) => process.stdout.write(`${line}\n`);
const rows: BenchRow[] = [];
const started = new Date();
const machine = {
  cpus: cpus().length,
  cpuModel: cpus()[0]?.model ?? 'unknown',
  memoryGb: Math.round(totalmem() / 2 ** 30),
  node: process.version,
  loadAverageAtStart: loadavg(),
};
say(
  `tessera bench on ${machine.cpus} x ${machine.cpuModel}, ${machine.node}, load ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);

/** `BENCH_ONLY=latency,collection` runs only those sections (a quick look at one figure). */
const only = process.env.BENCH_ONLY?.split(',').map((s) => s.trim());

/** Runs one section; a section that throws is a missed budget with its error, and the rest still run. */
async function section(name: string, run: () => Promise<BenchRow[]>): Promise<void> {
  if (only && !only.includes(name)) return;
  process.env.AWS_ACCESS_KEY_ID = `bench${name.replace(/[^a-z]/gi, '')}`;
  try {
    rows.push(...(await run()));
  } catch (error) {
    rows.push({
      section: name,
      name: 'failed to run',
      value: null,
      unit: '',
      ok: false,
      note: String(error).slice(0, 300),
    });
  }
}

// A busy machine can take long to start java.
// One database per section (its own access key, no -sharedDb): a section's tables never sit behind
// the ones earlier sections created, which slows DynamoDB Local (infra/local/dynamodb-local.ts).
const dynamo = await startDynamoDbLocal({ inMemory: true }, { startTimeoutMs: 180_000, sharedDb: false });
try {
  await section('cold start', () => coldStartRun(dynamo.endpoint));
  await section('handler overhead', () => handlerOverheadRun(dynamo.endpoint));
  await section('orders', () => ordersRun(dynamo.endpoint));
  await section('vault', () => vaultRun(dynamo.endpoint));
  await section('collection', () => collectionRun(dynamo.endpoint));
  await section('subscriptions', () => subscriptionsRun(dynamo.endpoint));
  await section('latency', () => riskRun(dynamo.endpoint));
} finally {
  await dynamo.stop();
}

const fmt = (v: number | null) =>
  v === null ? '-' : Number.isInteger(v) ? String(v) : v.toFixed(v < 10 ? 2 : 1);
say('');
say(
  `${'section'.padEnd(20)} ${'figure'.padEnd(58)} ${'value'.padStart(9)} ${'unit'.padEnd(6)} ${'budget'.padStart(7)}  ok    note`,
);
for (const r of rows) {
  const status = r.ok === undefined ? (r.value === null ? 'n/a ' : '    ') : r.ok ? 'ok  ' : 'OVER';
  say(
    `${r.section.padEnd(20)} ${r.name.slice(0, 58).padEnd(58)} ${fmt(r.value).padStart(9)} ${r.unit.padEnd(6)} ${(r.budget === undefined ? '' : `<=${r.budget}`).padStart(7)}  ${status}  ${r.note ?? ''}`,
  );
}
const failures = rows.filter((r) => r.ok === false);
const dir = join(import.meta.dirname, 'results');
mkdirSync(dir, { recursive: true });
const file = join(dir, `bench-${started.toISOString().replaceAll(':', '-')}.json`);
writeFileSync(
  file,
  `${JSON.stringify({ startedAt: started.toISOString(), finishedAt: new Date().toISOString(), machine: { ...machine, loadAverageAtEnd: loadavg() }, rows, failures: failures.length }, null, 2)}\n`,
);
say(`\nwritten to ${file}`);
say(failures.length === 0 ? 'all budgets met' : `${failures.length} budget(s) missed`);
process.exitCode = failures.length === 0 ? 0 : 1;
