import {
  paginateQuery,
  type QueryCommandInput,
  TransactWriteCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { ddb, transactionCancelReasons } from './dynamodb.ts';
import { DomainError } from './errors.ts';

/**
 * The one transaction module of the kernel: the item type, the write outside a request, named
 * cancellation reasons, the "lost condition means 409" rule and the query pager.
 */

/** One item of a DynamoDB TransactWriteItems request (document client form). */
export type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/**
 * Writes `items` in one TransactWriteItems outside an HTTP request (jobs, post-commit steps).
 * Throws the SDK error as is; read a `TransactionCanceledException` with `Transaction.cancellation`.
 */
export async function writeTransaction(items: TransactItem[]): Promise<void> {
  await ddb().send(new TransactWriteCommand({ TransactItems: items }));
}

/**
 * Writes `items` in one transaction; false when it was cancelled (a lost condition or a concurrent
 * transaction: nothing was written), for jobs that leave a lost race to their next run. Other errors
 * pass.
 */
export async function writeUnlessCancelled(items: TransactItem[]): Promise<boolean> {
  try {
    await writeTransaction(items);
    return true;
  } catch (error) {
    if (isCancellation(error)) return false;
    throw error;
  }
}

/** True when `error` is a cancelled transaction (nothing of it was written). */
export const isCancellation = (error: unknown): boolean => transactionCancelReasons(error) !== undefined;

/** Why a transaction was cancelled, read by the names its parts were given. */
export interface Cancellation<K extends string> {
  /** True when a condition of an item of part `name` failed. */
  lost(name: K): boolean;
  /** True when an item of part `name` has any reason other than `None` (a lost condition or a conflict). */
  failed(name: K): boolean;
}

/**
 * The items of one transaction in named parts, so that a cancellation is read by part and never by
 * array position. Parts may repeat a name; items keep the order they were added in. Items a caller
 * appends after these (the idempotency record) do not shift them.
 */
export class Transaction<K extends string> {
  readonly items: TransactItem[] = [];
  private readonly names: K[] = [];

  /** Appends `items` as part `name`. */
  add(name: K, ...items: TransactItem[]): this {
    for (const item of items) {
      this.items.push(item);
      this.names.push(name);
    }
    return this;
  }

  /** Appends every part of `other`, under its names. */
  addAll(other: Transaction<K>): this {
    other.items.forEach((item, index) => {
      this.add(other.names[index] as K, item);
    });
    return this;
  }

  /**
   * Writes the items through `write` (a use case's commit port, or `writeTransaction`); when the
   * transaction is cancelled, throws what `onCancel` makes of the cancellation. Other errors pass.
   */
  async write(
    write: (items: TransactItem[]) => Promise<unknown>,
    onCancel: (cancelled: Cancellation<K>) => Error | Promise<Error>,
  ): Promise<void> {
    try {
      await write(this.items);
    } catch (error) {
      const cancelled = this.cancellation(error);
      throw cancelled ? await onCancel(cancelled) : error;
    }
  }

  /** The cancellation of a failed write of these items; undefined when `error` is no cancellation. */
  cancellation(error: unknown): Cancellation<K> | undefined {
    const reasons = transactionCancelReasons(error);
    if (!reasons) return undefined;
    const has = (name: K, test: (reason: string) => boolean) =>
      this.names.some((n, index) => n === name && test(reasons[index] ?? 'None'));
    return {
      lost: (name) => has(name, (reason) => reason === 'ConditionalCheckFailed'),
      failed: (name) => has(name, (reason) => reason !== 'None'),
    };
  }
}

/**
 * Runs a transactional write (usually the HTTP kernel's `commit`) and turns its cancellation (a
 * lost condition or a conflicting concurrent transaction: nothing was written) into 409
 * `concurrent_update` with `message`, so that the same request may be retried. Other errors pass.
 */
export async function conflictOnCancel<T>(write: () => Promise<T>, message: string): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (isCancellation(error)) throw new DomainError('conflict', 'concurrent_update', message);
    throw error;
  }
}

/**
 * Every item a Query returns, following `LastEvaluatedKey` page by page (the SDK's paginator).
 * For whole partitions and index ranges; a page-at-a-time listing uses `Limit` itself.
 */
export async function queryAll(input: QueryCommandInput): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  for await (const page of paginateQuery({ client: ddb() }, input)) {
    items.push(...((page.Items ?? []) as Record<string, unknown>[]));
  }
  return items;
}

/**
 * Whether the condition of a conditional Put (e.g. a single-use marker) still holds, without writing
 * it: the Put is checked as a ConditionCheck on its own key. For gates that must tell "already used"
 * before any other refusal, while the Put itself commits later with the change it approves.
 */
export async function conditionHolds(item: TransactItem): Promise<boolean> {
  const put = item.Put;
  if (!put?.ConditionExpression) throw new Error('conditionHolds: a conditional Put is required');
  const { pk, sk } = put.Item as { pk: unknown; sk: unknown };
  const check: TransactItem = {
    ConditionCheck: {
      TableName: put.TableName,
      Key: { pk, sk },
      ConditionExpression: put.ConditionExpression,
      ...(put.ExpressionAttributeNames ? { ExpressionAttributeNames: put.ExpressionAttributeNames } : {}),
      ...(put.ExpressionAttributeValues ? { ExpressionAttributeValues: put.ExpressionAttributeValues } : {}),
    },
  };
  return writeUnlessCancelled([check]);
}
