/**
 * The dunning schedule: when a soft-declined installment is tried again, and when collection gives
 * up on it. Hard declines (lost, stolen, expired, unavailable card: `HARD_DECLINES` of the
 * CardProcessor port) are never retried; only soft ones follow this schedule.
 */
import { DAY_MS, isoDay } from '../lib/clock.ts';
import { config } from '../lib/config.ts';

/** Default retry offsets in days after the installment's due date (+1, +3, +7). */
export const DEFAULT_RETRY_DAYS: readonly number[] = [1, 3, 7];

/** At most this many charge attempts on one card ... */
export const CARD_ATTEMPT_LIMIT = 15;
/** ... within this sliding window (card-network retry rules; Visa and Mastercard cap retries). */
export const CARD_ATTEMPT_WINDOW_MS = 30 * DAY_MS;

/** The configured schedule (`DUNNING_RETRY_DAYS`, e.g. `1,3,7`), strictly increasing day offsets. */
export function retryDays(): readonly number[] {
  return config().DUNNING_RETRY_DAYS;
}

/**
 * The day (YYYY-MM-DD) on which an installment whose attempt number `attempt` (1-based) was just
 * soft-declined is tried again: its due date plus the schedule's offset for that attempt, but never
 * before tomorrow. `undefined` once every retry of the schedule was spent: the installment stops and
 * the order goes `in_arrears`.
 */
export function nextRetryDay(
  installment: { dueDate: string; attempts: number },
  now: Date,
  schedule: readonly number[] = retryDays(),
): string | undefined {
  const offset = schedule[installment.attempts - 1];
  if (offset === undefined) return undefined;
  const scheduled = Date.parse(`${installment.dueDate}T00:00:00Z`) + offset * DAY_MS;
  const tomorrow = Date.parse(`${isoDay(now)}T00:00:00Z`) + DAY_MS;
  return isoDay(new Date(Math.max(scheduled, tomorrow)));
}
