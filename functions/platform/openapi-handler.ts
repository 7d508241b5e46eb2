import openApiDocument from '../../docs/openapi.json' with { type: 'json' };
import { httpHandler, JsonText, publicAccess } from '../lib/http.ts';

let documentJson: JsonText | undefined;

/**
 * The document is generated at build time (npm run openapi) and bundled; CI checks it is current.
 * It is serialized on the first request of the container, then written as is.
 */
export const openapi = httpHandler({ auth: publicAccess }, async () => {
  documentJson ??= new JsonText(JSON.stringify(openApiDocument));
  return { status: 200, body: documentJson };
});
