import type { HttpResult } from './http.ts';
import type { TransactItem } from './transactions.ts';

/**
 * How a use case and its handler split the work: the use case decides and writes, and returns a
 * domain outcome (or throws a `DomainError`); the handler alone turns the outcome into an HTTP
 * answer. A use case never sees a status code.
 */

/**
 * The write port of a use case: commits `items` in ONE transaction together with `outcome` (the
 * kernel stores the answer made from it for idempotent replays). Called at most once.
 */
export type Commit<T> = (items: TransactItem[], outcome: T) => Promise<void>;

/** The kernel's commit, as handlers receive it. */
type HttpCommit = (items: TransactItem[], result: HttpResult) => Promise<HttpResult>;

/**
 * Runs a use case with a `Commit<T>` port over the handler's `commit`, and answers its outcome as
 * `toResult` says (the same answer is the one stored for replays).
 */
export async function answer<T>(
  commit: HttpCommit,
  toResult: (outcome: T) => HttpResult,
  run: (commit: Commit<T>) => Promise<T>,
): Promise<HttpResult> {
  const outcome = await run(async (items, committed) => {
    await commit(items, toResult(committed));
  });
  return toResult(outcome);
}

/** `201 Created` with the outcome as body. */
export const created = (body: unknown): HttpResult => ({ status: 201, body });

/** `200 OK` with the outcome as body. */
export const ok = (body: unknown): HttpResult => ({ status: 200, body });
