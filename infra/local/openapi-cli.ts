// `npm run openapi`: regenerates docs/openapi.json from the route table (CI checks it is current).
import { writeFileSync } from 'node:fs';
import { renderOpenApi } from '../openapi.ts';

writeFileSync(new URL('../../docs/openapi.json', import.meta.url), renderOpenApi());
console.log('wrote docs/openapi.json');
