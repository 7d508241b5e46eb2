import { isThrottlingError, isTransientError } from '@smithy/core/retry';

/**
 * A transient failure of a dependency after the AWS SDK's own retries: a refused or reset
 * connection, a timeout, a throttle, a 5xx from the service (the SDK's error classification,
 * `@smithy/core/retry`). Applies to any error carrying those marks, e.g. a processor's TimeoutError.
 */
export function isDependencyOutage(error: unknown): boolean {
  if (error === null || typeof error !== 'object') return false;
  const e = error as Parameters<typeof isTransientError>[0];
  return isTransientError(e) || isThrottlingError(e);
}
