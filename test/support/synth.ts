import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildApp, type TesseraApp } from '../../infra/app.ts';

const ROOT = path.resolve(import.meta.dirname, '..', '..');

/** cdk.json's context, as `cdk synth` reads it. */
export const CDK_CONTEXT = (
  JSON.parse(readFileSync(path.join(ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> }
).context;

/**
 * Builds and synthesizes the app of a stage with cdk.json's context plus `context`, without bundling
 * (cdk-nag runs: an unacknowledged error throws). Each synth writes to its own temporary directory;
 * `cleanup` (for afterAll) removes them all.
 */
export function offlineSynth(prefix: string): {
  build(stage: 'dev' | 'prod', context?: Record<string, unknown>): TesseraApp;
  cleanup(): void;
} {
  const outdirs: string[] = [];
  return {
    build(stage, context = {}) {
      const outdir = mkdtempSync(path.join(tmpdir(), prefix));
      outdirs.push(outdir);
      const built = buildApp({
        stage,
        appProps: { context: { ...CDK_CONTEXT, 'aws:cdk:bundling-stacks': [], ...context }, outdir },
      });
      built.app.synth();
      return built;
    },
    cleanup() {
      for (const dir of outdirs.splice(0)) rmSync(dir, { recursive: true, force: true });
    },
  };
}
