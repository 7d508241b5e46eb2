/**
 * The pages call the JSON API's own handlers in-process, as API Gateway would: every check of the
 * API (schemas, authentication, lockouts, step-up, idempotency, rate windows) applies unchanged, and
 * the shopper's IP and user agent are the page request's (so per-IP sign-in limits see the shopper,
 * not this function). Nothing here logs a request or response body.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type { HttpEvent } from '../lib/http.ts';
import { newId } from '../lib/ids.ts';

export type ApiHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

export interface ApiCall {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** The route's path template (`/v1/me/orders/{id}`) and its parameters. */
  resource: string;
  pathParameters?: Record<string, string>;
  query?: Record<string, string>;
  body?: unknown;
  sessionToken?: string | undefined;
  headers?: Record<string, string>;
}

export interface ApiAnswer<T = Record<string, unknown>> {
  status: number;
  json: T;
  /** The API's error, when it answered one. */
  error?: { code: string; message: string; param?: string };
}

const context = (requestId: string): Context =>
  ({
    awsRequestId: requestId,
    callbackWaitsForEmptyEventLoop: false,
    getRemainingTimeInMillis: () => 10_000,
  }) as Context;

function eventFor(page: HttpEvent, call: ApiCall): APIGatewayProxyEvent {
  const requestId = newId('request');
  let path = call.resource;
  for (const [name, value] of Object.entries(call.pathParameters ?? {})) {
    path = path.replace(`{${name}}`, encodeURIComponent(value));
  }
  const headers: Record<string, string> = {
    ...(call.body === undefined ? {} : { 'content-type': 'application/json' }),
    ...(call.sessionToken ? { authorization: `Bearer ${call.sessionToken}` } : {}),
    ...(page.headers?.['user-agent'] ? { 'user-agent': page.headers['user-agent'] } : {}),
    ...(call.headers ?? {}),
  };
  const query = call.query && Object.keys(call.query).length > 0 ? call.query : null;
  return {
    resource: call.resource,
    path,
    httpMethod: call.method,
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
    queryStringParameters: query,
    multiValueQueryStringParameters: query
      ? Object.fromEntries(Object.entries(query).map(([k, v]) => [k, [v]]))
      : null,
    pathParameters: call.pathParameters ?? null,
    stageVariables: null,
    body: call.body === undefined ? null : JSON.stringify(call.body),
    isBase64Encoded: false,
    requestContext: {
      ...page.requestContext,
      requestId,
      resourcePath: call.resource,
      httpMethod: call.method,
    },
  };
}

/** Calls `handler` with an API Gateway event built from the page request and `call`. */
export async function invoke<T = Record<string, unknown>>(
  handler: ApiHandler,
  page: HttpEvent,
  call: ApiCall,
): Promise<ApiAnswer<T>> {
  const event = eventFor(page, call);
  const result = await handler(event, context(event.requestContext.requestId));
  const json = (result.body ? JSON.parse(result.body) : {}) as Record<string, unknown>;
  const error = json.error as ApiAnswer['error'];
  return {
    status: result.statusCode,
    json: json as T,
    ...(result.statusCode >= 400 && error ? { error } : {}),
  };
}
