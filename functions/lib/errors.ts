import type { ErrorCode, ErrorCodeFor } from './error-codes.ts';

/**
 * The one error type and the one error shape of the API, modelled on Stripe:
 * `{ error: { type, code, message, param?, requestId } }`.
 */
export type ErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'rate_limit_error'
  | 'idempotency_error'
  | 'card_error'
  | 'api_error';

export interface ErrorBody {
  error: { type: ErrorType; code: ErrorCode; message: string; param?: string; requestId: string };
}

export class ApiError extends Error {
  readonly status: number;
  readonly type: ErrorType;
  readonly code: ErrorCode;
  readonly param: string | undefined;
  readonly headers: Record<string, string> | undefined;

  constructor(
    status: number,
    type: ErrorType,
    code: ErrorCode,
    message: string,
    options: { param?: string; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ApiError';
    this.status = status;
    this.type = type;
    this.code = code;
    this.param = options.param;
    this.headers = options.headers;
  }

  toBody(requestId: string): ErrorBody {
    return {
      error: {
        type: this.type,
        code: this.code,
        message: this.message,
        ...(this.param === undefined ? {} : { param: this.param }),
        requestId,
      },
    };
  }
}

export const badRequest = (code: ErrorCodeFor<400>, message: string, param?: string) =>
  new ApiError(400, 'invalid_request_error', code, message, param === undefined ? {} : { param });

export const unauthorized = (
  message = 'Missing or invalid credentials.',
  code: ErrorCodeFor<401> = 'unauthorized',
) => new ApiError(401, 'authentication_error', code, message, { headers: { 'WWW-Authenticate': 'Bearer' } });

export const forbidden = (code: ErrorCodeFor<403>, message: string) =>
  new ApiError(403, 'permission_error', code, message);

/**
 * What the gateway answers a merchant request without a valid `x-api-key` usage key: API Gateway's
 * INVALID_API_KEY response (infra/constructs/api.ts) and the local gateway alike.
 */
export const USAGE_KEY_REFUSED = 'Forbidden: send the x-api-key usage key issued with your secret API key.';

export const notFound = (message = 'No such resource.', param?: string) =>
  new ApiError(
    404,
    'invalid_request_error',
    'resource_missing',
    message,
    param === undefined ? {} : { param },
  );

export const conflict = (code: ErrorCodeFor<409>, message: string) =>
  new ApiError(409, 'invalid_request_error', code, message);

export const unprocessable = (code: ErrorCodeFor<422>, message: string, param?: string) =>
  new ApiError(422, 'invalid_request_error', code, message, param === undefined ? {} : { param });

export const tooManyRequests = (message: string, retryAfterSeconds: number) =>
  new ApiError(429, 'rate_limit_error', 'rate_limited', message, {
    headers: { 'Retry-After': String(Math.max(1, Math.ceil(retryAfterSeconds))) },
  });

export const serviceUnavailable = (
  message = 'A dependency is temporarily unavailable; retry later.',
  cause?: unknown,
) =>
  new ApiError(503, 'api_error', 'service_unavailable', message, { headers: { 'Retry-After': '1' }, cause });

export const internalError = () =>
  new ApiError(500, 'api_error', 'internal_error', 'An internal error occurred. It has been logged.');

/** Builds the error body for failures raised outside a handler (the gateway's 404/405/413/429). */
export function errorBody(error: ApiError, requestId: string): string {
  return JSON.stringify(error.toBody(requestId));
}

/**
 * The ways a use case refuses, in domain terms. Services (orders, checkout, vault) throw
 * `DomainError`s and never choose an HTTP status: this table, in the kernel, maps each kind to the
 * status and error type the API answers with.
 */
const FAILURES = {
  /** The request contradicts itself or misses a part (400). */
  invalid: { status: 400, type: 'invalid_request_error' },
  /** The caller may not do this: a missing, used or mismatched proof (403). */
  denied: { status: 403, type: 'permission_error' },
  /** No such thing, or not the caller's (404: the two are indistinguishable). */
  not_found: { status: 404, type: 'invalid_request_error' },
  /** Something changed meanwhile or is in progress; nothing was written, the request may be retried (409). */
  conflict: { status: 409, type: 'invalid_request_error' },
  /** Well formed, but the domain's rules refuse it in the present state (422). */
  rejected: { status: 422, type: 'invalid_request_error' },
  /** The card was declined by the processor (402, like Stripe's card errors). */
  declined: { status: 402, type: 'card_error' },
} as const satisfies Record<string, { status: number; type: ErrorType }>;

export type FailureKind = keyof typeof FAILURES;

/** A refusal by a use case: a kind (mapped to a status by the kernel), a stable code, a message. */
/** The catalogued codes (./error-codes.ts) that may come with the status of a failure kind. */
export type CodeOfKind<K extends FailureKind> = ErrorCodeFor<(typeof FAILURES)[K]['status']>;

export class DomainError<K extends FailureKind = FailureKind> extends ApiError {
  readonly kind: K;

  constructor(kind: K, code: CodeOfKind<K>, message: string, param?: string) {
    const { status, type } = FAILURES[kind];
    super(status, type, code, message, param === undefined ? {} : { param });
    this.name = 'DomainError';
    this.kind = kind;
  }
}

/** Shorthand for `new DomainError(kind, code, message, param)`. */
export const domainError = <K extends FailureKind>(
  kind: K,
  code: CodeOfKind<K>,
  message: string,
  param?: string,
) => new DomainError(kind, code, message, param);
