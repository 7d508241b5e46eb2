import { clock } from '../lib/clock.ts';
import { httpHandler, publicAccess } from '../lib/http.ts';

/** Liveness. The OpenAPI document is served by `openapi-handler.ts`, so this bundle does not carry it. */
export const health = httpHandler({ auth: publicAccess }, async () => ({
  status: 200,
  body: { status: 'ok', time: clock().now().toISOString() },
}));
