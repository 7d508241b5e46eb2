import { config } from '../lib/config.ts';
import { notFound } from '../lib/errors.ts';
import { httpHandler } from '../lib/http.ts';
import { listOutbox } from '../lib/notifier.ts';
import { customerAccess } from '../sessions/access.ts';

/** The local sandbox's outbox. The route is local-only; this check keeps it dark if misrouted. */
export const getOutbox = httpHandler({ auth: customerAccess }, async ({ principal }) => {
  if (!config().isLocal) throw notFound('No such resource.');
  return { status: 200, body: { object: 'list', data: await listOutbox(principal.customerId) } };
});
