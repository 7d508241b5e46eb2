import type { APIGatewayProxyResult } from 'aws-lambda';
import { isDependencyOutage } from './dependency-outage.ts';
import { ApiError, badRequest, internalError, serviceUnavailable } from './errors.ts';
import { logger } from './logger.ts';

/** Maps anything thrown to the one error shape; internals are logged (redacted), never returned. */
export function toErrorResult(error: unknown, requestId: string): APIGatewayProxyResult {
  let apiError: ApiError;
  if (error instanceof ApiError) {
    apiError = error;
  } else if (isBodyParserError(error)) {
    apiError =
      error.statusCode === 415
        ? badRequest('unsupported_content_type', 'Content-Type must be application/json.')
        : badRequest('invalid_json', 'The request body is not valid JSON.');
  } else if (isDependencyOutage(error)) {
    // Down, throttling or timing out after the SDK's retries: 503 with Retry-After, never a 500.
    apiError = serviceUnavailable(undefined, error);
  } else {
    logger.error('unhandled error', { requestId, error: error as Error });
    apiError = internalError();
  }
  if (apiError.status > 500) {
    logger.warn('dependency failure', {
      requestId,
      code: apiError.code,
      cause: String(apiError.cause ?? ''),
    });
  }
  return {
    statusCode: apiError.status,
    headers: { 'Content-Type': 'application/json', ...(apiError.headers ?? {}) },
    body: JSON.stringify(apiError.toBody(requestId)),
  };
}

function isBodyParserError(error: unknown): error is { statusCode: number } {
  const e = error as { statusCode?: number; cause?: { package?: string } } | null;
  return typeof e?.statusCode === 'number' && e.cause?.package === '@middy/http-json-body-parser';
}
