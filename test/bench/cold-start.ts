/**
 * Cold start budget (ARCHITECTURE.md "Performance budgets"): every function, bundled with the
 * options CDK bundles it with (infra/constructs/function.ts), initializes and does one GetItem
 * within 1.5x of a bundle that only builds a DynamoDB client and does that GetItem.
 *
 * Each sample is a fresh Node process that imports the bundle and then sends one GetItem to
 * DynamoDB Local (what a cold invocation pays at the least: module init, the client, one round
 * trip). The baseline and the function are measured alternately (A B A B ...), so machine drift
 * lands on both; the figure is the median over `rounds` of the per-pair ratio.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { build } from 'esbuild';
import { jobs, queueConsumers } from '../../infra/jobs.ts';
import { createTables } from '../../infra/local/bootstrap-tables.ts';
import { routes } from '../../infra/routes/index.ts';
import { type BenchRow, median, row } from './support.ts';

const ROOT = resolve(import.meta.dirname, '..', '..');
// TesseraFunction's bundling (infra/constructs/function.ts) in esbuild terms.
const REQUIRE_SHIM =
  "import { createRequire as __tesseraCreateRequire } from 'node:module'; const require = __tesseraCreateRequire(import.meta.url);";

async function bundle(entry: string, outfile: string): Promise<number> {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    mainFields: ['module', 'main'],
    banner: { js: REQUIRE_SHIM },
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    logLevel: 'silent',
  });
  return statSync(outfile).size;
}

/** Every Lambda entry: the API routes, the scheduled jobs and the queue consumers. */
export function functionEntries(): string[] {
  return [
    ...new Set([
      ...routes.filter((r) => !r.localOnly).map((r) => r.entry),
      ...jobs.map((j) => j.entry),
      ...queueConsumers.map((q) => q.entry),
    ]),
  ];
}

/** One cold start: a fresh process imports `file` (module init), then its `getItem` (one round trip). */
function coldMs(file: string, env: NodeJS.ProcessEnv): number {
  const script = `const t=performance.now();const m=await import(${JSON.stringify(file)});await m.getItem();process.stdout.write(String(performance.now()-t));`;
  const out = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', env });
  if (out.status !== 0) throw new Error(`cold start of ${file} failed: ${out.stderr.slice(0, 2000)}`);
  return Number(out.stdout);
}

export interface ColdStartRow {
  entry: string;
  kb: number;
  /** Median per-pair ratio function / baseline. */
  ratio: number;
  ms: number;
  baselineMs: number;
}

/**
 * `endpoint`/`table`: a DynamoDB Local and a table with (pk, sk) for the GetItem.
 */
export async function coldStartBench(
  endpoint: string,
  table: string,
  rounds = 7,
): Promise<{ baselineKb: number; rows: ColdStartRow[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-bench-'));
  try {
    // Inside the repo so that bare imports resolve from its node_modules.
    const src = join(ROOT, 'test', 'bench', `.tmp-${process.pid}`);
    mkdirSync(src, { recursive: true });
    const getItem = join(src, 'get-item.ts');
    writeFileSync(
      getItem,
      "import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';\n" +
        `export const getItem = () => new DynamoDBClient({}).send(new GetItemCommand({ TableName: ${JSON.stringify(table)}, Key: { pk: { S: 'bench' }, sk: { S: 'bench' } } }));\n`,
    );
    const baseline = join(dir, 'baseline.mjs');
    const baselineSize = await bundle(getItem, baseline);
    // Each function's exact bundle gives its size; the timed one is the same entry plus the
    // baseline's GetItem (the client module is shared, as in the function's own bundle).
    const bundles: Array<{ entry: string; file: string; size: number }> = [];
    for (const entry of functionEntries()) {
      const name = entry.replaceAll('/', '_');
      const size = await bundle(join(ROOT, entry), join(dir, `${name}.exact.mjs`));
      const wrapper = join(src, `${name}.ts`);
      writeFileSync(
        wrapper,
        `export * as fn from ${JSON.stringify(join(ROOT, entry))};\nexport { getItem } from './get-item.ts';\n`,
      );
      const file = join(dir, `${name}.mjs`);
      await bundle(wrapper, file);
      bundles.push({ entry, file, size });
    }
    rmSync(src, { recursive: true, force: true });
    const env = {
      ...process.env,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_ENDPOINT_URL_DYNAMODB: endpoint,
      POWERTOOLS_DEV: 'false',
    };
    const pairs = new Map(bundles.map((b) => [b.file, [] as Array<[number, number]>]));
    for (let i = 0; i < rounds; i++) {
      for (const b of bundles) {
        const a = coldMs(baseline, env);
        pairs.get(b.file)?.push([a, coldMs(b.file, env)]);
      }
    }
    return {
      baselineKb: baselineSize / 1024,
      rows: bundles.map((b) => {
        const samples = pairs.get(b.file) ?? [];
        return {
          entry: b.entry,
          kb: b.size / 1024,
          ratio: median(samples.map(([a, f]) => f / a)),
          ms: median(samples.map(([, f]) => f)),
          baselineMs: median(samples.map(([a]) => a)),
        };
      }),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Entry for `npm run bench`: one row per function (BENCH_ROUNDS rounds, default 7). */
export async function run(endpoint: string): Promise<BenchRow[]> {
  const prefix = `cold${randomBytes(2).toString('hex')}-`;
  const admin = new DynamoDBClient({ endpoint, region: 'us-east-1' });
  await createTables(admin, prefix);
  admin.destroy();
  const rounds = Number(process.env.BENCH_ROUNDS ?? 7);
  process.stdout.write(
    `cold start: every function vs a DynamoDB client + one GetItem, alternated, median of ${rounds}…\n`,
  );
  const cold = await coldStartBench(endpoint, `${prefix}main`, rounds);
  return cold.rows.map((r) =>
    row('cold start', r.entry, r.ratio, 'x', {
      budget: 1.5,
      note: `${r.kb.toFixed(0)} KB (baseline ${cold.baselineKb.toFixed(0)} KB); ${r.ms.toFixed(0)} vs ${r.baselineMs.toFixed(0)} ms`,
    }),
  );
}
