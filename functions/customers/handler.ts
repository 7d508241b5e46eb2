import { config } from '../lib/config.ts';
import { notFound } from '../lib/errors.ts';
import { type HttpEvent, httpHandler, publicAccess } from '../lib/http.ts';
import { listOutbox } from '../lib/notifier.ts';
import { MfaSessionBody } from '../twofa/schema.ts';
import { customerAccess } from './auth.ts';
import { RegisterCustomerBody, SignInBody } from './schema.ts';
import * as customers from './service.ts';

/** API Gateway's view of the caller: the TCP peer (never X-Forwarded-For, which anyone can set). */
function originOf(event: HttpEvent, headers: Record<string, string | undefined>): customers.RequestOrigin {
  return {
    ip: event.requestContext?.identity?.sourceIp ?? 'unknown',
    userAgent: headers['user-agent'] ?? '',
  };
}

export const registerCustomer = httpHandler(
  { auth: publicAccess, body: RegisterCustomerBody },
  async ({ body, event, headers }) => ({
    status: 201,
    body: await customers.register(body, originOf(event, headers)),
  }),
);

export const createSession = httpHandler(
  { auth: publicAccess, body: SignInBody },
  async ({ body, event, headers }) => ({
    status: 200,
    body: await customers.signIn(body, originOf(event, headers)),
  }),
);

export const createMfaSession = httpHandler(
  { auth: publicAccess, body: MfaSessionBody },
  async ({ body, event, headers }) => ({
    status: 200,
    body: await customers.completeMfa(body, originOf(event, headers)),
  }),
);

export const deleteCurrentSession = httpHandler({ auth: customerAccess }, async ({ principal }) => {
  await customers.signOut(principal.customerId, principal.sessionId);
  return { status: 204 };
});

export const getMe = httpHandler({ auth: customerAccess }, async ({ principal }) => ({
  status: 200,
  body: await customers.getProfile(principal.customerId),
}));

/** The local sandbox's outbox. The route is local-only; this check keeps it dark if misrouted. */
export const getOutbox = httpHandler({ auth: customerAccess }, async ({ principal }) => {
  if (!config().isLocal) throw notFound('No such resource.');
  return { status: 200, body: { object: 'list', data: await listOutbox(principal.customerId) } };
});
