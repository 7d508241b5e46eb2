import openApiDocument from '../../docs/openapi.json' with { type: 'json' };
import { clock } from '../lib/clock.ts';
import { httpHandler, publicAccess } from '../lib/http.ts';

export const health = httpHandler({ auth: publicAccess }, async () => ({
  status: 200,
  body: { status: 'ok', time: clock().now().toISOString() },
}));

/** The document is generated at build time (npm run openapi) and bundled; CI checks it is current. */
export const openapi = httpHandler({ auth: publicAccess }, async () => ({
  status: 200,
  body: openApiDocument,
}));
