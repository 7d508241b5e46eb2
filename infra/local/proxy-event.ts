import type { IncomingMessage } from 'node:http';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { clock } from '../../functions/lib/clock.ts';
import type { Route } from '../routes/index.ts';

/**
 * The local gateway's reading of a raw HTTP request into what API Gateway (REST API, proxy
 * integration) hands a Lambda function: headers, the request target, path parameters, the event.
 */

/**
 * Headers as API Gateway's REST proxy integration delivers them: names are case-insensitive, so
 * every spelling of one name is one entry (under the first spelling seen); `multiValueHeaders`
 * holds every value in order, `headers` the last. Node's `req.headers` is not used: it keeps the
 * FIRST of a repeated Authorization or User-Agent and drops the rest.
 */
export function proxyHeaders(rawHeaders: string[]): {
  headers: Record<string, string>;
  multiValueHeaders: Record<string, string[]>;
} {
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  const nameOf = new Map<string, string>();
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const raw = rawHeaders[i] as string;
    const value = rawHeaders[i + 1] as string;
    const name = nameOf.get(raw.toLowerCase()) ?? raw;
    nameOf.set(raw.toLowerCase(), name);
    headers[name] = value;
    const values = multiValueHeaders[name];
    if (values) values.push(value);
    else multiValueHeaders[name] = [value];
  }
  return { headers, multiValueHeaders };
}

/** The last value of a header, as the handler sees it in `headers` (see `proxyHeaders`). */
export function lastHeader(req: IncomingMessage, name: string): string | undefined {
  let value: string | undefined;
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    if ((req.rawHeaders[i] as string).toLowerCase() === name) value = req.rawHeaders[i + 1];
  }
  return value;
}

/** A path segment decoded like API Gateway decodes path parameters; undefined when malformed. */
export function decodeSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

/**
 * The request target as a URL, or undefined when it is not an origin-form path ("/v1/…"):
 * `new URL('//host:99999/…', base)` would throw or, worse, read a host out of the path.
 */
export function requestUrl(target: string | undefined): URL | undefined {
  if (!target?.startsWith('/') || target.startsWith('//')) return undefined;
  try {
    return new URL(`http://localhost${target}`);
  } catch {
    return undefined;
  }
}

/** The API Gateway REST (v1) proxy event that AWS would deliver for this request. */
export function buildProxyEvent(args: {
  req: IncomingMessage;
  url: URL;
  route: Route;
  pathParameters: Record<string, string>;
  body: string | null;
  requestId: string;
  operatorArn?: string;
}): APIGatewayProxyEvent {
  const { req, url, route, pathParameters, body, requestId, operatorArn } = args;
  const { headers, multiValueHeaders } = proxyHeaders(req.rawHeaders);
  const query: Record<string, string> = {};
  const multiQuery: Record<string, string[]> = {};
  let hasQuery = false;
  if (url.search !== '') {
    for (const [k, v] of url.searchParams) {
      hasQuery = true;
      query[k] = v;
      const values = multiQuery[k];
      if (values) values.push(v);
      else multiQuery[k] = [v];
    }
  }
  const sourceIp = req.socket.remoteAddress ?? '127.0.0.1';
  return {
    resource: route.path,
    path: url.pathname,
    httpMethod: route.method,
    headers,
    multiValueHeaders,
    queryStringParameters: hasQuery ? query : null,
    multiValueQueryStringParameters: hasQuery ? multiQuery : null,
    pathParameters: route.path.includes('{') ? pathParameters : null,
    stageVariables: null,
    body,
    isBase64Encoded: false,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      authorizer: null,
      protocol: `HTTP/${req.httpVersion}`,
      httpMethod: route.method,
      path: `/local${url.pathname}`,
      stage: 'local',
      requestId,
      requestTimeEpoch: clock().now().getTime(),
      resourceId: route.operationId,
      resourcePath: route.path,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: operatorArn ? 'local-operator' : null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp,
        user: null,
        userAgent: req.headers['user-agent'] ?? null,
        userArn: operatorArn ?? null,
      },
    },
  };
}
