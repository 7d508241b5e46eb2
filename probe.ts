import fc from 'fast-check';
import { buildOpenApiDocument } from './infra/openapi.ts';
import { validValue, hostileValue, admits, resolve } from './test/support/openapi-arbitrary.ts';
const d = JSON.parse(JSON.stringify(buildOpenApiDocument()));
for (const [name, schema] of Object.entries(d.components.schemas) as any) {
  if (!name.endsWith('Request')) continue;
  const t = performance.now();
  fc.sample(validValue(schema, d.components), 20);
  const t2 = performance.now();
  fc.sample(hostileValue(schema, d.components), 20);
  console.log(name, Math.round(t2 - t), Math.round(performance.now() - t2));
}
