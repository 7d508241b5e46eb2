// Generates TypeScript types for a client from an OpenAPI document with openapi-typescript, which
// builds its output through the TypeScript 5 compiler API (hence this package's own typescript).
import openapiTS, { astToString } from 'openapi-typescript';

/**
 * @param {object} document An OpenAPI 3.x document (parsed JSON).
 * @param {{ enum?: boolean }} [options] `enum`: emit TypeScript enums (openapi-typescript `--enum`).
 * @returns {Promise<string>} The `paths`, `webhooks`, `components` and `operations` types.
 */
export async function generateClientTypes(document, options = {}) {
  const ast = await openapiTS(structuredClone(document), { enum: options.enum === true });
  return astToString(ast);
}
