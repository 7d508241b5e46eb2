import type { HttpInput, HttpResult } from '../lib/http.ts';
import { conflictOnCancel, type TransactItem } from '../lib/transactions.ts';

/** A lost condition on our own item (not the idempotency record) means a concurrent change: 409. */
export function commitOrConflict(
  commit: HttpInput<unknown, unknown, unknown, unknown>['commit'],
  items: TransactItem[],
  result: HttpResult,
): Promise<HttpResult> {
  return conflictOnCancel(() => commit(items, result), 'The resource was changed by another request; retry.');
}
