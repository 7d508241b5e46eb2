import { spawnSync } from 'node:child_process';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { routes } from '../../infra/routes/index.ts';

const ROOT = resolve(import.meta.dirname, '..', '..');
// Same options as TesseraFunction's bundling (infra/constructs/function.ts).
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
    sourcemap: false,
    logLevel: 'silent',
  });
  return statSync(outfile).size;
}

/** Import time of a bundle in a fresh Node process (what a cold start pays for init). */
function importMs(file: string): number {
  const script = `const t=performance.now();await import(${JSON.stringify(file)});process.stdout.write(String(performance.now()-t));`;
  const out = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
    env: { ...process.env, AWS_REGION: 'us-east-1', POWERTOOLS_DEV: 'false' },
  });
  if (out.status !== 0) throw new Error(`import of ${file} failed: ${out.stderr}`);
  return Number(out.stdout);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

export interface ColdStartRow {
  entry: string;
  kb: number;
  ms: number;
  ratio: number;
}

/**
 * Cold start budget: each function's bundle loads within 1.5x the time of a bare bundle that holds
 * only a DynamoDB client, measured in the same run, interleaved, median of `rounds`.
 */
export async function coldStartBench(
  rounds = 7,
): Promise<{ baselineMs: number; baselineKb: number; rows: ColdStartRow[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-bench-'));
  const baselineSrc = join(dir, 'baseline-src.ts');
  writeFileSync(
    baselineSrc,
    `import { DynamoDBClient } from '${ROOT}/node_modules/@aws-sdk/client-dynamodb/dist-es/index.js';\n` +
      `import { DynamoDBDocumentClient } from '${ROOT}/node_modules/@aws-sdk/lib-dynamodb/dist-es/index.js';\n` +
      'export const client = DynamoDBDocumentClient.from(new DynamoDBClient({}));\n',
  );
  const baseline = join(dir, 'baseline.mjs');
  const baselineSize = await bundle(baselineSrc, baseline);
  const entries = [...new Set(routes.filter((r) => !r.localOnly).map((r) => r.entry))];
  const bundles: Array<{ entry: string; file: string; size: number }> = [];
  for (const entry of entries) {
    const file = join(dir, `${entry.replaceAll('/', '_')}.mjs`);
    bundles.push({ entry, file, size: await bundle(join(ROOT, entry), file) });
  }
  const samples = new Map<string, number[]>([[baseline, []]]);
  for (const b of bundles) samples.set(b.file, []);
  for (let i = 0; i < rounds; i++) {
    for (const file of samples.keys()) samples.get(file)?.push(importMs(file));
  }
  const baselineMs = median(samples.get(baseline) ?? []);
  return {
    baselineMs,
    baselineKb: baselineSize / 1024,
    rows: bundles.map((b) => {
      const ms = median(samples.get(b.file) ?? []);
      return { entry: b.entry, kb: b.size / 1024, ms, ratio: ms / baselineMs };
    }),
  };
}
