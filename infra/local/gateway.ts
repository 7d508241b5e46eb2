import { createHash, hash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import {
  ApiError,
  errorBody,
  forbidden,
  tooManyRequests,
  USAGE_KEY_REFUSED,
  unauthorized,
} from '../../functions/lib/errors.ts';
import { newId } from '../../functions/lib/ids.ts';
import { redactText } from '../../functions/lib/logger.ts';
import { routes as allRoutes, type Route } from '../routes/index.ts';
import { pageRoutes } from '../routes/pages.ts';
import { buildProxyEvent, decodeSegment, lastHeader, requestUrl } from './proxy-event.ts';
import type { LocalUsageKeys } from './usage-keys.ts';

/** The deployed API's limits, applied identically here. */
export const MAX_BODY_BYTES = 64 * 1024;
export const LOCAL_OPERATOR_ARN = 'arn:aws:iam::000000000000:user/local-operator';

export interface GatewayOptions {
  port?: number;
  host?: string;
  operatorToken: string;
  routes?: Route[];
  /** Steady requests per second and burst, per API key (or per client IP when anonymous). */
  throttle?: { ratePerSecond: number; burst: number };
  /** Serve `localOnly` routes (the sandbox outbox). */
  includeLocalOnly?: boolean;
  /**
   * Merchant routes require a usage key (`x-api-key`) these accept, as API Gateway's methods do
   * with `merchantApiKeys` on; without, no key is required.
   */
  usageKeys?: Pick<LocalUsageKeys, 'accepts'>;
}

export interface Gateway {
  url: string;
  port: number;
  close(): Promise<void>;
}

type LambdaHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

interface CompiledRoute {
  route: Route;
  /** Per path segment: the literal to match, or `undefined` for a `{param}` (any non-empty segment). */
  segments: Array<string | undefined>;
  /** Parameter name by segment index. */
  params: Array<[index: number, name: string]>;
}

const repoRoot = new URL('../../', import.meta.url);

function compile(route: Route): CompiledRoute {
  const params: Array<[number, string]> = [];
  const segments = route.path.split('/').map((segment, index) => {
    const param = /^\{(\w+)\}$/.exec(segment);
    if (!param?.[1]) return segment;
    params.push([index, param[1]]);
    return undefined;
  });
  return { route, segments, params };
}

/**
 * Routes indexed by their number of path segments, each list in route-table order. A request path
 * is compared segment by segment against the few routes of its length only: literal segments must
 * be equal, `{param}` segments non-empty (what `^/v1/orders/([^/]+)$` matched before, without
 * running every route's regex on every request).
 */
function routeIndex(compiled: CompiledRoute[]): Map<number, CompiledRoute[]> {
  const index = new Map<number, CompiledRoute[]>();
  for (const c of compiled) {
    const list = index.get(c.segments.length) ?? [];
    list.push(c);
    index.set(c.segments.length, list);
  }
  return index;
}

function matchesPath(c: CompiledRoute, parts: string[]): boolean {
  for (let i = 0; i < parts.length; i++) {
    const literal = c.segments[i];
    const part = parts[i] as string;
    if (literal === undefined ? part === '' : part !== literal) return false;
  }
  return true;
}

/** A token bucket per caller, like API Gateway's usage-plan throttling. */
function createThrottle({ ratePerSecond, burst }: { ratePerSecond: number; burst: number }) {
  const buckets = new Map<string, { tokens: number; at: number }>();
  return (key: string): number => {
    const now = performance.now();
    const bucket = buckets.get(key) ?? { tokens: burst, at: now };
    bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.at) / 1000) * ratePerSecond);
    bucket.at = now;
    buckets.set(key, bucket);
    if (bucket.tokens < 1) return (1 - bucket.tokens) / ratePerSecond;
    bucket.tokens -= 1;
    return 0;
  };
}

class BodyTooLarge extends Error {}

/** Neither a length nor chunked encoding: HTTP/1.1 says the request has no body. */
function hasNoBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return (length === undefined || Number(length) === 0) && req.headers['transfer-encoding'] === undefined;
}

async function readBody(req: IncomingMessage): Promise<string | null> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_BODY_BYTES) throw new BodyTooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new BodyTooLarge();
    chunks.push(chunk as Buffer);
  }
  return size === 0 ? null : Buffer.concat(chunks).toString('utf8');
}

const malformed = (message: string) =>
  new ApiError(400, 'invalid_request_error', 'malformed_request', message);

function sameSecret(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

function lambdaContext(route: Route, requestId: string): Context {
  const deadline = performance.now() + 29_000;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: `tessera-local-${route.operationId}`,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:tessera-local-${route.operationId}`,
    memoryLimitInMB: '512',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/tessera-local-${route.operationId}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, Math.round(deadline - performance.now())),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const routesByLength = routeIndex(
    // The JSON API and the hosted pages (infra/routes/pages.ts), as the deployed API serves both.
    (options.routes ?? [...allRoutes, ...pageRoutes])
      .filter((r) => options.includeLocalOnly !== false || !r.localOnly)
      .map(compile),
  );
  const throttle = createThrottle(options.throttle ?? { ratePerSecond: 200, burst: 400 });
  const handlers = new Map<string, Promise<LambdaHandler>>();
  /** Handlers already imported, by route: called without awaiting the import promise again. */
  const loadedHandlers = new Map<Route, LambdaHandler>();

  const loadHandler = (route: Route): Promise<LambdaHandler> => {
    const key = `${route.entry}#${route.handler}`;
    let loaded = handlers.get(key);
    if (!loaded) {
      loaded = import(pathToFileURL(new URL(route.entry, repoRoot).pathname).href).then((mod) => {
        const fn = (mod as Record<string, unknown>)[route.handler];
        if (typeof fn !== 'function') throw new Error(`${route.entry} has no export ${route.handler}`);
        return fn as LambdaHandler;
      });
      handlers.set(key, loaded);
    }
    return loaded.then((fn) => {
      loadedHandlers.set(route, fn);
      return fn;
    });
  };

  const send = (res: ServerResponse, result: APIGatewayProxyResult, requestId: string) => {
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(result.headers ?? {})) headers[k] = String(v);
    for (const [k, v] of Object.entries(result.multiValueHeaders ?? {})) headers[k] = v.map(String);
    if (!Object.keys(headers).some((k) => k.toLowerCase() === 'request-id'))
      headers['Request-Id'] = requestId;
    // A text body is written as the string it is (UTF-8), without copying it into a Buffer first.
    const body = result.isBase64Encoded ? Buffer.from(result.body, 'base64') : (result.body ?? '');
    headers['Content-Length'] = String(typeof body === 'string' ? Buffer.byteLength(body) : body.length);
    res.writeHead(result.statusCode, headers);
    res.end(body);
  };

  const sendError = (
    res: ServerResponse,
    error: ApiError,
    requestId: string,
    extra: Record<string, string> = {},
  ) =>
    send(
      res,
      {
        statusCode: error.status,
        headers: { 'Content-Type': 'application/json', ...(error.headers ?? {}), ...extra },
        body: errorBody(error, requestId),
      },
      requestId,
    );

  const server = createServer(async (req, res) => {
    const requestId = newId('request');
    try {
      const url = requestUrl(req.url);
      if (!url) {
        req.resume();
        return sendError(res, malformed('The request target must be a path.'), requestId);
      }
      const parts = url.pathname.split('/');
      const matches = (routesByLength.get(parts.length) ?? []).filter((c) => matchesPath(c, parts));
      if (matches.length === 0) {
        req.resume();
        return sendError(
          res,
          new ApiError(404, 'invalid_request_error', 'route_not_found', 'No route matches this path.'),
          requestId,
        );
      }
      const match = matches.find((c) => c.route.method === req.method);
      if (!match) {
        req.resume();
        const allow = [...new Set(matches.map((c) => c.route.method))].join(', ');
        return sendError(
          res,
          new ApiError(
            405,
            'invalid_request_error',
            'method_not_allowed',
            `${req.method} is not allowed on this path; use ${allow}.`,
          ),
          requestId,
          { Allow: allow },
        );
      }
      const { route } = match;
      // The value the handler authenticates with (the last one sent; the handler refuses a repeat).
      const authorization = lastHeader(req, 'authorization') ?? '';
      const wait = throttle(authorization ? hash('sha256', authorization) : (req.socket.remoteAddress ?? ''));
      if (wait > 0) {
        req.resume();
        return sendError(res, tooManyRequests('Too many requests; slow down.', wait), requestId);
      }
      if (
        route.auth === 'merchant' &&
        options.usageKeys &&
        !options.usageKeys.accepts(lastHeader(req, 'x-api-key'))
      ) {
        req.resume();
        return sendError(res, forbidden('usage_key_invalid', USAGE_KEY_REFUSED), requestId);
      }
      let operatorArn: string | undefined;
      if (route.auth === 'operator') {
        // Stands in for API Gateway's AWS_IAM authorizer: the handler never sees an unverified operator.
        const token = authorization.startsWith('Bearer ') ? authorization.slice(7) : '';
        if (!token || !sameSecret(token, options.operatorToken)) {
          req.resume();
          return sendError(res, unauthorized('Operator credentials are required.'), requestId);
        }
        operatorArn = LOCAL_OPERATOR_ARN;
      }
      let body: string | null = null;
      try {
        // A GET without a body is answered without waiting on the request stream.
        if (hasNoBody(req)) req.resume();
        else body = await readBody(req);
      } catch (error) {
        if (!(error instanceof BodyTooLarge)) throw error;
        res.setHeader('Connection', 'close');
        return sendError(
          res,
          new ApiError(
            413,
            'invalid_request_error',
            'body_too_large',
            `The request body exceeds ${MAX_BODY_BYTES} bytes.`,
          ),
          requestId,
        );
      }
      const pathParameters: Record<string, string> = {};
      for (const [index, name] of match.params) {
        const value = decodeSegment(parts[index] ?? '');
        if (value === undefined) {
          return sendError(
            res,
            malformed(`The path segment for ${name} is not valid percent-encoding.`),
            requestId,
          );
        }
        pathParameters[name] = value;
      }
      const event = buildProxyEvent({
        req,
        url,
        route,
        pathParameters,
        body,
        requestId,
        ...(operatorArn ? { operatorArn } : {}),
      });
      const handler = loadedHandlers.get(route) ?? (await loadHandler(route));
      const result = await handler(event, lambdaContext(route, requestId));
      send(res, result, requestId);
    } catch (error) {
      // Like API Gateway on a crashed integration: no internals in the response. The developer's
      // console gets the reason (e.g. a handler that failed to load), redacted like any log line.
      const reason = redactText(`${(error as Error)?.name ?? 'Error'}: ${(error as Error)?.message ?? ''}`);
      process.stderr.write(`gateway: handler failed (${requestId}): ${reason}\n`);
      if (!res.headersSent) {
        sendError(
          res,
          new ApiError(502, 'api_error', 'bad_gateway', 'The handler failed to respond.'),
          requestId,
        );
      }
    }
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
