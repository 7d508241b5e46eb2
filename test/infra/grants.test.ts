import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { jobs, queueConsumers } from '../../infra/jobs.ts';
import { routes } from '../../infra/routes/index.ts';
import { pageRoutes } from '../../infra/routes/pages.ts';
import type { RouteAccess } from '../../infra/routes/route.ts';

// A grant follows the code. The card processor adapter is injected where a handler is defined
// (`cardProcessor`, functions/payments/processor.ts), and in a live stage it reads the
// `processor-api-key` secret: every handler that hands it to its use case holds that secret, and no
// other does (least privilege). Without this check an operator resolving a fraud-confirmed dispute
// (a refund to the card) met AccessDenied in prod: the grant was missing and nothing said so.
const ROOT = resolve(import.meta.dirname, '..', '..');

/** The text of the exported handler `name` of `entry`: from its `export` to the next one. */
function handlerText(entry: string, name: string): string {
  const text = readFileSync(join(ROOT, entry), 'utf8');
  const start = text.search(new RegExp(`export (const|async function|function) ${name}\\b`));
  if (start < 0) throw new Error(`${entry} exports no ${name}`);
  const next = text.slice(start + 1).search(/\nexport /);
  return next < 0 ? text.slice(start) : text.slice(start, start + 1 + next);
}

const functions: Array<{ name: string; entry: string; handler: string; access: RouteAccess }> = [
  ...[...routes, ...pageRoutes].map((r) => ({
    name: r.operationId,
    entry: r.entry,
    handler: r.handler,
    access: r.access,
  })),
  ...[...jobs, ...queueConsumers].map((j) => ({
    name: j.name,
    entry: j.entry,
    handler: j.handler,
    access: j.access,
  })),
];

/** Handlers that pass the adapter on, directly or through a ports object defined in the entry file. */
function usesProcessor(f: (typeof functions)[number]): boolean {
  const own = handlerText(f.entry, f.handler);
  if (/\bcardProcessor\b/.test(own)) return true;
  // A shared ports object (`const ports = { processor: cardProcessor }`) used by the handler.
  const text = readFileSync(join(ROOT, f.entry), 'utf8');
  const shared = [
    ...text.matchAll(/\nconst (\w+)\s*[:=][^\n]*\n?(?:[^\n]*\n){0,6}?[^\n]*\bcardProcessor\b/g),
  ];
  return shared.some(([, name]) => new RegExp(`\\b${name}\\b`).test(own));
}

describe('the processor key grant follows the code', () => {
  it('is held by exactly the handlers that use the card processor', () => {
    const uses = functions.filter(usesProcessor).map((f) => f.name);
    const holds = functions
      .filter((f) => (f.access.secrets ?? []).includes('processor-api-key'))
      .map((f) => f.name);
    expect(uses).toEqual(expect.arrayContaining(['collection-charger', 'refundOrder']));
    expect({ missing: uses.filter((n) => !holds.includes(n)).sort() }).toEqual({ missing: [] });
    expect({ unused: holds.filter((n) => !uses.includes(n)).sort() }).toEqual({ unused: [] });
  });
});
