import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// `npm run depcheck` (.dependency-cruiser.cjs) run over a small tree that breaks each rule once, next to
// imports the rules allow: every rule must fire exactly where it should, and nowhere else.
const ROOT = resolve(import.meta.dirname, '..', '..');
const CLI = join(ROOT, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruiser.mjs');

const FIXTURE: Record<string, string> = {
  'tsconfig.json': '{ "compilerOptions": { "allowImportingTsExtensions": true, "noEmit": true } }',
  'infra/routes/index.ts': 'export const routes = [];',
  'functions/lib/clock.ts': 'export const now = 0;',
  'functions/lib/uses-capability.ts': "export { card } from '../vault/access.ts';",
  // A port reaching its adapter through another module.
  'functions/lib/key-service-port.ts': "export { make } from './key-service-wiring.ts';",
  'functions/lib/key-service-wiring.ts': "export { LocalKeyService as make } from './key-service-local.ts';",
  'functions/lib/key-service-local.ts': 'export class LocalKeyService {}',
  'functions/vault/access.ts': "import { read } from './store.ts';\nexport const card = read;",
  'functions/vault/store.ts': "import { now } from '../lib/clock.ts';\nexport const read = () => now;",
  'functions/orders/through-face.ts': "import { card } from '../vault/access.ts';\nexport const c = card;",
  'functions/orders/around-face.ts': "import { read } from '../vault/store.ts';\nexport const r = read;",
  'functions/orders/uses-infra.ts':
    "import { routes } from '../../infra/routes/index.ts';\nexport const n = routes;",
  // A cycle closed by a type-only import is still a cycle.
  'functions/orders/state.ts': "import type { Order } from './model.ts';\nexport const s = (o: Order) => o;",
  'functions/orders/model.ts':
    "import { s } from './state.ts';\nexport type Order = { id: string };\nexport const m = s;",
};

interface Violation {
  rule: { name: string };
  from: string;
  to: string;
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tessera-depcheck-'));
  for (const [file, text] of Object.entries(FIXTURE)) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), text);
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('dependency rules (npm run depcheck)', () => {
  it('reports a cycle, a by-passed face, a kernel importing a capability, functions importing infra, a port reaching its adapter', () => {
    const out = spawnSync(
      process.execPath,
      [CLI, '--config', join(ROOT, '.dependency-cruiser.cjs'), '--output-type', 'json', 'functions', 'infra'],
      { cwd: dir, encoding: 'utf8' },
    );
    expect(out.stderr).toBe('');
    const violations = (JSON.parse(out.stdout) as { summary: { violations: Violation[] } }).summary
      .violations;
    const found = violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`).sort();
    expect(found).toEqual(
      [
        'capability-through-face: functions/orders/around-face.ts -> functions/vault/store.ts',
        'functions-not-infra: functions/orders/uses-infra.ts -> infra/routes/index.ts',
        'kernel-imports-no-capability: functions/lib/uses-capability.ts -> functions/vault/access.ts',
        'no-circular: functions/orders/model.ts -> functions/orders/state.ts',
        'port-not-adapter: functions/lib/key-service-port.ts -> functions/lib/key-service-local.ts',
      ].sort(),
    );
  });
});
