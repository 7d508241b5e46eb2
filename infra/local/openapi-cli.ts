// `npm run openapi`: regenerates docs/openapi.json from the route table, and the typed client
// (openapi-typescript) that test/e2e/openapi-client.test.ts drives the merchant flow with. CI checks
// both are current.
import { writeFileSync } from 'node:fs';
import { renderOpenApi } from '../openapi.ts';
import { renderClientTypes } from '../openapi-client.ts';

writeFileSync(new URL('../../docs/openapi.json', import.meta.url), renderOpenApi());
writeFileSync(new URL('../../test/e2e/generated/tessera-api.ts', import.meta.url), await renderClientTypes());
console.log('wrote docs/openapi.json and test/e2e/generated/tessera-api.ts');
