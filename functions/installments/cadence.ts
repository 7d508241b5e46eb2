/**
 * Billing dates of a recurring plan (subscriptions): pure calendar arithmetic on UTC days.
 *
 * Every date is computed from the anchor (the first billing day), never from the previous date, so
 * a month-end anchor survives short months: a monthly subscription anchored on January 31 bills on
 * Feb 28 (Feb 29 in a leap year), Mar 31, Apr 30, May 31, ... and a yearly one anchored on Feb 29
 * bills on Feb 28 in common years and Feb 29 again in the next leap year. This is the rule card
 * networks and Stripe's billing anchors follow ("the last day of the month when the anchor day does
 * not exist"), and the same clamp the monthly plan's due dates use (./schedule.ts).
 */
import { addDays, addMonthsClamped, formatCivil, toCivil } from './apr.ts';

/** The unit of a billing cadence. */
export const BILLING_INTERVALS = ['week', 'month', 'year'] as const;
export type BillingInterval = (typeof BILLING_INTERVALS)[number];

/**
 * The `n`-th billing day (0-based: period 0 is the anchor itself) of a cadence of `intervalCount`
 * `interval`s anchored on `anchor` (YYYY-MM-DD). Returns YYYY-MM-DD. Throws 400 `invalid_date` on a
 * malformed anchor (lib/errors via apr.ts).
 */
export function billingDate(
  anchor: string,
  interval: BillingInterval,
  intervalCount: number,
  n: number,
): string {
  const start = toCivil(anchor, 'anchor');
  const steps = intervalCount * n;
  if (interval === 'week') return formatCivil(addDays(start, 7 * steps));
  const months = interval === 'month' ? steps : 12 * steps;
  return formatCivil(addMonthsClamped(start, months, start.day));
}

/**
 * The first period index whose billing day is on or after `day` (YYYY-MM-DD), from period `from`
 * on: where a resumed subscription picks up (the periods it was paused through are not billed).
 */
export function firstPeriodOnOrAfter(
  anchor: string,
  interval: BillingInterval,
  intervalCount: number,
  from: number,
  day: string,
): number {
  let n = from;
  while (billingDate(anchor, interval, intervalCount, n) < day) n += 1;
  return n;
}
