import { transactionCancelReasons } from '../lib/dynamodb.ts';
import { conflict } from '../lib/errors.ts';
import type { HttpInput, HttpResult } from '../lib/http.ts';
import type { TransactItem } from '../lib/idempotency.ts';

/** A lost condition on our own item (not the idempotency record) means a concurrent change: 409. */
export async function commitOrConflict(
  commit: HttpInput<unknown, unknown, unknown, unknown>['commit'],
  items: TransactItem[],
  result: HttpResult,
): Promise<HttpResult> {
  try {
    return await commit(items, result);
  } catch (error) {
    if (transactionCancelReasons(error)?.[0] === 'ConditionalCheckFailed') {
      throw conflict('concurrent_update', 'The resource was changed by another request; retry.');
    }
    throw error;
  }
}
