import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import httpJsonBodyParser from '@middy/http-json-body-parser';
import httpSecurityHeaders from '@middy/http-security-headers';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type { ZodType } from 'zod';
import * as z from 'zod';
import { clock } from './clock.ts';
import { ddb } from './dynamodb.ts';
import { isErrorCodeFor } from './error-codes.ts';
import { toErrorResult } from './error-result.ts';
import { ApiError, badRequest, unauthorized } from './errors.ts';
import {
  canonicalJson,
  claim,
  type ResponseSealer,
  readIdempotencyKey,
  requestHash,
  type TransactItem,
  toStoredResponse,
} from './idempotency.ts';
import { newId } from './ids.ts';
import { containsPan } from './pan.ts';
import { PAN_NOT_ALLOWED } from './schema.ts';

// zod compiles a parser per object schema on first use; on a short-lived Lambda container that
// compile costs more cold-start time than it saves (measured: ~4 ms per bundle), so parse jitless.
z.config({ jitless: true });

export type HttpEvent = APIGatewayProxyEvent;

/** What a use case returns; the kernel turns it into an API Gateway proxy result. */
export interface HttpResult {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** Resolves the caller (merchant, customer, operator) or throws a 401/403 ApiError. */
export type Authenticator<P> = (event: HttpEvent, requestId: string) => Promise<P>;

export interface HttpInput<B, Q, P, Principal> {
  body: B;
  query: Q;
  params: P;
  principal: Principal;
  requestId: string;
  event: HttpEvent;
  /** Lower-cased request headers. */
  headers: Record<string, string | undefined>;
  /**
   * Writes the use case's items in ONE transaction; on idempotent routes the stored response joins
   * that transaction. Call it at most once, with the result the use case is about to return.
   */
  commit(items: TransactItem[], result: HttpResult): Promise<HttpResult>;
}

type Infer<S> = S extends ZodType ? z.infer<S> : undefined;

export interface HttpSpec<BS, QS, PS, Principal> {
  auth: Authenticator<Principal>;
  body?: BS;
  query?: QS;
  params?: PS;
  /**
   * Requires `Idempotency-Key`; the scope isolates keys per tenant (e.g. the merchant id).
   * `sensitive`: the response carries a secret, so its stored copy is sealed by this sealer
   * (`keyServiceSealer` from ./response-sealer.ts: KMS).
   */
  idempotency?: { scope: (principal: Principal) => string; sensitive?: ResponseSealer };
}

/**
 * The request's id: API Gateway's (or the local gateway's), else one minted once and kept on the
 * event, so the Request-Id header, the error body and the logs all name the same request.
 */
export function requestIdOf(event: HttpEvent): string {
  event.requestContext ??= {} as HttpEvent['requestContext'];
  event.requestContext.requestId ||= newId('request');
  return event.requestContext.requestId;
}

/** Anyone may call: health, the OpenAPI document. */
export const publicAccess: Authenticator<undefined> = async () => undefined;

/**
 * Operator routes use AWS_IAM authorization at API Gateway, which fills requestContext.identity
 * with the verified caller; the local gateway fills it after checking the operator token. The
 * handler refuses to run without it, so a misconfigured route fails closed.
 */
export const operatorAccess: Authenticator<{ operatorArn: string }> = async (event) => {
  const arn = event.requestContext?.identity?.userArn;
  if (!arn) throw unauthorized('Operator credentials are required.');
  return { operatorArn: arn };
};

/** zod issues become `param` paths: the first issue decides the error. */
export function zodToApiError(
  error: z.ZodError,
  location: 'body' | 'query' | 'path',
  input?: unknown,
): ApiError {
  // A card number outranks any other fault of the request: the answer must say why it is refused.
  const pan = error.issues.find((i) => i.code === 'custom' && i.params?.code === PAN_NOT_ALLOWED);
  if (pan) {
    const param = pan.path.map(String).join('.');
    const where = location === 'body' ? '' : ` (${location})`;
    return badRequest(
      PAN_NOT_ALLOWED,
      `${param || 'The request'}${where} must not contain a card number; card numbers go to the vault only.`,
      param || undefined,
    );
  }
  const issue = error.issues[0];
  if (!issue) return badRequest('parameter_invalid', 'The request is invalid.');
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0] ?? '';
    const param = [...issue.path, key].join('.');
    return badRequest('parameter_unknown', `Received unknown parameter: ${param}.`, param);
  }
  const param = issue.path.map(String).join('.');
  // A refinement that is a rule, not a shape, names its own code (`params: { code }`).
  const ruleCode =
    issue.code === 'custom' ? (issue.params as { code?: unknown } | undefined)?.code : undefined;
  if (isErrorCodeFor(ruleCode, 400)) return badRequest(ruleCode, issue.message, param || undefined);
  // zod 4 does not keep the input on issues: look the value up to tell missing from invalid.
  const missing = issue.code === 'invalid_type' && valueAt(input, issue.path) === undefined;
  const where = location === 'body' ? '' : ` (${location})`;
  if (missing) {
    return badRequest(
      'parameter_missing',
      `Missing required parameter: ${param}${where}.`,
      param || undefined,
    );
  }
  return badRequest(
    'parameter_invalid',
    param ? `Invalid ${param}${where}: ${issue.message}` : `Invalid request${where}: ${issue.message}`,
    param || undefined,
  );
}

function valueAt(input: unknown, path: PropertyKey[]): unknown {
  let current = input;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

function parse<S>(schema: S | undefined, value: unknown, location: 'body' | 'query' | 'path'): Infer<S> {
  if (!schema) return undefined as Infer<S>;
  const result = (schema as unknown as ZodType).safeParse(value);
  if (!result.success) throw zodToApiError(result.error, location, value);
  return result.data as Infer<S>;
}

function withStandardHeaders(request: {
  event: HttpEvent;
  response: APIGatewayProxyResult | null | undefined;
}) {
  if (!request.response) return;
  request.response.headers = {
    ...request.response.headers,
    'Request-Id': requestIdOf(request.event),
    'Cache-Control': 'no-store',
  };
}

/**
 * A body already serialized as JSON: a constant document (the plan catalogue, the OpenAPI document)
 * is serialized once per container instead of on every request. The kernel writes `text` as is.
 */
export class JsonText {
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
}

function serialize(body: unknown): string {
  if (body === undefined) return '';
  return body instanceof JsonText ? body.text : JSON.stringify(body);
}

function toProxyResult(result: HttpResult): APIGatewayProxyResult {
  return {
    statusCode: result.status,
    headers: { 'Content-Type': 'application/json', ...(result.headers ?? {}) },
    body: serialize(result.body),
  };
}

/**
 * Headers that decide who the caller is or which request this is: sent twice, one hop could act on
 * the first (a throttle) and another on the last (the authenticator), so a repeat is a 400.
 */
export const SINGLE_SECURITY_HEADERS = ['Authorization', 'Idempotency-Key', 'Step-Up-Token'] as const;

/** Header values Tessera stores (idempotency records, device descriptions): no card number in them. */
export const STORED_HEADERS = ['Idempotency-Key', 'User-Agent'] as const;

/**
 * Runs first, on the event as API Gateway delivers it (before the header names are normalized,
 * which would keep one of two spellings): every value of a header, in `multiValueHeaders` (REST
 * API proxy events carry each value there) and in `headers`, is counted case-insensitively.
 * Throws 400 `header_repeated` for a repeated security header, 400 `pan_not_allowed` for a card
 * number in a stored header; both name the header as `param`.
 */
export function guardHeaders(event: Pick<HttpEvent, 'headers' | 'multiValueHeaders'>): void {
  const values = new Map<string, Set<string>>();
  const counts = new Map<string, number>();
  const add = (name: string, value: string | undefined) => {
    const key = name.toLowerCase();
    const seen = values.get(key) ?? new Set<string>();
    values.set(key, seen);
    if (value !== undefined) seen.add(value);
  };
  for (const [name, list] of Object.entries(event.multiValueHeaders ?? {})) {
    const key = name.toLowerCase();
    counts.set(key, (counts.get(key) ?? 0) + (list?.length ?? 0));
    for (const value of list ?? []) add(name, value);
  }
  for (const [name, value] of Object.entries(event.headers ?? {})) add(name, value);
  for (const name of SINGLE_SECURITY_HEADERS) {
    const key = name.toLowerCase();
    if ((counts.get(key) ?? 0) > 1 || (values.get(key)?.size ?? 0) > 1) {
      throw badRequest('header_repeated', `Send the ${name} header once.`, name);
    }
  }
  for (const name of STORED_HEADERS) {
    for (const value of values.get(name.toLowerCase()) ?? []) {
      if (containsPan(value)) {
        throw badRequest(
          'pan_not_allowed',
          `The ${name} header must not contain a card number; card numbers go to the vault only.`,
          name,
        );
      }
    }
  }
}

/** A JSON body is required exactly when the route declares a body schema. */
const requireJsonBody: middy.MiddlewareObj<HttpEvent> = {
  before: (request) => {
    const { body } = request.event;
    if (body === null || body === undefined || body === '') {
      throw badRequest('parameter_missing', 'A JSON request body is required.');
    }
  },
};

type HttpCommit = (items: TransactItem[], result: HttpResult) => Promise<HttpResult>;

/**
 * Runs a use case under an Idempotency-Key (./idempotency.ts): a replay returns the stored response
 * byte for byte (`Idempotent-Replayed: true`); otherwise the use case's business write commits with
 * the stored response in one transaction. A definitive client error is stored like a success;
 * anything transient frees the key for a retry.
 */
async function runIdempotently(
  claimed: { scope: string; key: string; hash: string; sealer: ResponseSealer | undefined },
  requestId: string,
  run: (commit: HttpCommit) => Promise<HttpResult>,
): Promise<APIGatewayProxyResult> {
  const outcome = await claim(
    claimed.scope,
    claimed.key,
    claimed.hash,
    clock(),
    claimed.sealer ? { sealer: claimed.sealer } : {},
  );
  if (outcome.kind === 'replay') {
    const { statusCode, contentType, body: stored } = outcome.response;
    return {
      statusCode,
      headers: { 'Content-Type': contentType, 'Idempotent-Replayed': 'true' },
      body: stored,
    };
  }
  const { scope, release } = outcome;
  try {
    const result = toProxyResult(
      await run(async (items, result) => {
        await scope.commit(items, toStoredResponse(toProxyResult(result)));
        return result;
      }),
    );
    if (!scope.committed) await scope.commit([], toStoredResponse(result));
    return result;
  } catch (error) {
    const definitive =
      error instanceof ApiError && error.status < 500 && error.status !== 409 && error.status !== 429;
    await release?.(definitive ? toStoredResponse(toErrorResult(error, requestId)) : undefined);
    throw error;
  }
}

/**
 * Builds a thin Lambda handler: normalize headers -> parse JSON -> authenticate -> validate with
 * zod -> call the use case -> map the result or error, with security headers and Request-Id.
 */
export function httpHandler<
  BS extends ZodType | undefined = undefined,
  QS extends ZodType | undefined = undefined,
  PS extends ZodType | undefined = undefined,
  Principal = undefined,
>(
  spec: HttpSpec<BS, QS, PS, Principal>,
  useCase: (input: HttpInput<Infer<BS>, Infer<QS>, Infer<PS>, Principal>) => Promise<HttpResult>,
) {
  const core = async (event: HttpEvent): Promise<APIGatewayProxyResult> => {
    const requestId = requestIdOf(event);
    const principal = await spec.auth(event, requestId);
    const headers = event.headers as Record<string, string | undefined>;
    const idempotencyKey = spec.idempotency ? readIdempotencyKey(headers) : undefined;
    const body = parse(spec.body, event.body, 'body');
    // RFC 8785 form of the parsed body: refuses unpaired surrogates, and is what idempotency hashes.
    const canonicalBody = spec.body ? canonicalJson(event.body) : 'null';
    const query = parse(spec.query, event.queryStringParameters ?? {}, 'query');
    const params = parse(spec.params, event.pathParameters ?? {}, 'path');

    if (!spec.idempotency || idempotencyKey === undefined) {
      let committed = false;
      const commit = async (items: TransactItem[], result: HttpResult) => {
        if (committed) throw new Error('commit() called twice');
        committed = true;
        if (items.length > 0) await ddb().send(new TransactWriteCommand({ TransactItems: items }));
        return result;
      };
      return toProxyResult(
        await useCase({ body, query, params, principal, requestId, event, headers, commit }),
      );
    }

    // The canonical body is hashed: the same JSON with other whitespace or key order is one request.
    const hash = requestHash(event.httpMethod, event.path, canonicalBody);
    const claimed = {
      scope: spec.idempotency.scope(principal),
      key: idempotencyKey,
      hash,
      sealer: spec.idempotency.sensitive,
    };
    return runIdempotently(claimed, requestId, (commit) =>
      useCase({ body, query, params, principal, requestId, event, headers, commit }),
    );
  };

  const handler = middy<HttpEvent, APIGatewayProxyResult, Error, Context>()
    .use({ before: (request) => guardHeaders(request.event) })
    .use(httpHeaderNormalizer())
    .use(httpSecurityHeaders())
    .use({
      // Runs before the security headers' own hooks (middy unwinds in reverse order of use).
      after: (request) => withStandardHeaders(request),
      onError: (request) => {
        request.response = toErrorResult(request.error, requestIdOf(request.event));
        withStandardHeaders(request);
      },
    });
  if (spec.body) handler.use(requireJsonBody).use(httpJsonBodyParser());
  return handler.handler(core);
}
