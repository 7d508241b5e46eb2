/**
 * Account monitoring's configuration per stage (`RISK_CONFIG`, functions/monitoring/config.ts) as the
 * CDK app sets it: read from the `riskConfig` context, validated at synth with the functions' own
 * zod schema (a bad value fails `npx cdk synth`, not the first request), and put into the
 * environment of exactly the functions whose bundle reads it. See docs/adr/0034-risk-config-per-stage.md.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { buildSync } from 'esbuild';
import * as z from 'zod';
import { RiskConfigSchema } from '../functions/monitoring/config.ts';

/** The module that reads `RISK_CONFIG`; a function whose bundle holds it gets the variable. */
const READER = 'functions/monitoring/config.ts';

/**
 * The raw `RISK_CONFIG` object for `stage` from the `riskConfig` context, or undefined (the code's
 * defaults). The context is either
 * - an object by stage (cdk.json: `{ "prod": "config/risk/prod.json", "dev": { "reviewAt": 60 } }`),
 *   each value a config object, a JSON text or a path to a JSON file; a stage it does not name keeps
 *   the defaults; or
 * - one string for the stage being synthesized (`-c riskConfig=config/risk/prod.json`, or JSON text).
 * Paths are relative to `root` (the repository). Throws an Error naming the stage and the source when
 * a file is missing or not JSON, or a stage is unknown. Validation is `riskConfigEnvironment`'s.
 */
export function riskConfigContext(
  value: unknown,
  stage: string,
  stages: readonly string[],
  root: string,
): { config: unknown; source: string } | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return fromText(value, `riskConfig`, root);
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new Error('riskConfig must be an object by stage, a JSON file path or JSON text');
  }
  const byStage = value as Record<string, unknown>;
  const unknown = Object.keys(byStage).filter((key) => !stages.includes(key));
  if (unknown.length > 0) {
    throw new Error(
      `riskConfig is keyed by stage (${stages.join(', ')}); unknown: ${unknown.join(', ')}. ` +
        'Put the rules under a stage: { "prod": { "reviewAt": 60 } }',
    );
  }
  const forStage = byStage[stage];
  if (forStage === undefined || forStage === null) return undefined;
  if (typeof forStage === 'string') return fromText(forStage, `riskConfig.${stage}`, root);
  return { config: forStage, source: `riskConfig.${stage}` };
}

function fromText(text: string, name: string, root: string): { config: unknown; source: string } {
  const inline = text.trim().startsWith('{');
  const file = path.resolve(root, text);
  if (!inline && !existsSync(file)) throw new Error(`${name}: no such file ${text}`);
  const source = inline ? name : `${name} (${text})`;
  try {
    return { config: JSON.parse(inline ? text : readFileSync(file, 'utf8')), source };
  } catch {
    throw new Error(`${source} is not valid JSON`);
  }
}

/** Keys of `raw` the schema dropped (a typo would otherwise leave a rule at its default unnoticed). */
function unknownKeys(raw: unknown, parsed: unknown, at = ''): string[] {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return [];
  const known = (parsed ?? {}) as Record<string, unknown>;
  return Object.entries(raw).flatMap(([key, value]) =>
    key in known ? unknownKeys(value, known[key], `${at}${key}.`) : [`${at}${key}`],
  );
}

/**
 * The value of `RISK_CONFIG` for `config` (`source` names it in errors): the operator's JSON,
 * compact, once it parses with RiskConfigSchema and names no key the schema does not know. Throws an
 * Error otherwise: every schema issue with its path (z.prettifyError), or, for a config the schema
 * accepts, every unknown key.
 */
export function riskConfigEnvironment(config: unknown, source: string): string {
  const parsed = RiskConfigSchema.safeParse(config);
  if (!parsed.success) {
    throw new Error(`${source} is not a valid RISK_CONFIG:\n${z.prettifyError(parsed.error)}`);
  }
  const unknown = unknownKeys(config, parsed.data);
  if (unknown.length > 0) {
    throw new Error(
      `${source} is not a valid RISK_CONFIG: unknown ${unknown.length === 1 ? 'key' : 'keys'} ` +
        `${unknown.join(', ')} (functions/monitoring/config.ts lists the rules and their settings)`,
    );
  }
  return JSON.stringify(config);
}

const readers = new Map<string, boolean>();

/**
 * Whether the bundle of `entry` (relative to `root`) holds the module that reads RISK_CONFIG: esbuild
 * resolves its imports as the function's own bundling does (third-party packages left out), so a
 * function that starts assessing risk gets the variable without a list to keep. Memoized per entry.
 */
export function readsRiskConfig(entry: string, root: string): boolean {
  const key = path.resolve(root, entry);
  let reads = readers.get(key);
  if (reads === undefined) {
    const { metafile } = buildSync({
      entryPoints: [key],
      absWorkingDir: root,
      bundle: true,
      write: false,
      metafile: true,
      platform: 'node',
      format: 'esm',
      packages: 'external',
      outfile: 'risk-config-probe.mjs',
      logLevel: 'silent',
    });
    reads = Object.values(metafile.outputs).some((output) => (output.inputs[READER]?.bytesInOutput ?? 0) > 0);
    readers.set(key, reads);
  }
  return reads;
}
