/**
 * Annual percentage rate per Regulation Z (12 CFR 1026), Appendix J, actuarial method, for a single
 * advance repaid by one or more payments. The general equation (b)(8) for one advance at time 0:
 *
 *   A = sum_j P_j / ((1 + f_j * i) * (1 + i)^t_j)
 *
 * where t_j is the number of full unit-periods and f_j the fraction of a unit-period from the advance to
 * payment j, and i the unit-period rate. APR = i * unit-periods per year (b)(1). A fraction of a period is
 * charged at simple interest (1 + f*i), not (1 + i)^f, as the appendix requires.
 *
 * The UTC calendar arithmetic lives here too: the monthly schedule uses the same month-end convention as
 * Appendix J (b)(3)(iv) measures months with, so defining it once keeps schedules and APRs consistent.
 */
import { badRequest, unprocessable } from '../lib/errors.ts';
import { assertMinorUnits } from '../lib/money.ts';

// ---------------------------------------------------------------------------------------------
// UTC calendar days
// ---------------------------------------------------------------------------------------------

/** A calendar day: a `Date` (its UTC day is used) or an ISO `YYYY-MM-DD` string. */
export type CalendarDate = Date | string;

export interface CivilDate {
  year: number;
  /** 1..12 */
  month: number;
  /** 1..31 */
  day: number;
}

const DAY_MS = 86_400_000;

export function daysInMonth(year: number, month: number): number {
  // Day 0 of the next month is the last day of this one; Date.UTC handles leap years and month overflow.
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** Parses a CalendarDate into its UTC civil date; 400 `invalid_date` (naming `param`) when it is not one. */
export function toCivil(value: CalendarDate, param = 'date'): CivilDate {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime()))
      throw badRequest('invalid_date', `${param} is not a valid date.`, param);
    return { year: value.getUTCFullYear(), month: value.getUTCMonth() + 1, day: value.getUTCDate() };
  }
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  const year = Number(match?.[1]);
  const month = Number(match?.[2]);
  const day = Number(match?.[3]);
  if (!match || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) {
    throw badRequest('invalid_date', `${param} must be a calendar date in the form YYYY-MM-DD.`, param);
  }
  return { year, month, day };
}

/** Days since 1970-01-01 (UTC) of a civil date. */
export function epochDay(date: CivilDate): number {
  return Date.UTC(date.year, date.month - 1, date.day) / DAY_MS;
}

export function fromEpochDay(days: number): CivilDate {
  const at = new Date(days * DAY_MS);
  return { year: at.getUTCFullYear(), month: at.getUTCMonth() + 1, day: at.getUTCDate() };
}

export function formatCivil(date: CivilDate): string {
  const pad = (n: number, width: number) => String(n).padStart(width, '0');
  return `${pad(date.year, 4)}-${pad(date.month, 2)}-${pad(date.day, 2)}`;
}

export function addDays(date: CivilDate, days: number): CivilDate {
  return fromEpochDay(epochDay(date) + days);
}

/**
 * The date `months` months after (or before, if negative) `date`, on day `anchorDay` (default: the
 * date's own day) clamped to the end of the target month. Always computed from the anchor, never by
 * chaining, so Jan 31 + 1 = Feb 28/29 and Jan 31 + 2 = Mar 31 (not Mar 28).
 */
export function addMonthsClamped(date: CivilDate, months: number, anchorDay: number = date.day): CivilDate {
  const index = date.year * 12 + (date.month - 1) + months;
  const year = Math.floor(index / 12);
  const month = index - year * 12 + 1;
  return { year, month, day: Math.min(anchorDay, daysInMonth(year, month)) };
}

function isLastDayOfMonth(date: CivilDate): boolean {
  return date.day === daysInMonth(date.year, date.month);
}

function compareCivil(a: CivilDate, b: CivilDate): number {
  return epochDay(a) - epochDay(b);
}

// ---------------------------------------------------------------------------------------------
// Unit periods (Appendix J (b)(3)-(b)(5))
// ---------------------------------------------------------------------------------------------

/** A unit-period of a whole number of months (1..11) or weeks; the appendix's standard intervals. */
export type UnitPeriod = { months: number } | { weeks: number };

export interface PeriodOffset {
  /** Full unit-periods from the advance (t). */
  periods: number;
  /** Remaining fraction of a unit-period (f), in [0, 1). */
  fraction: number;
}

/**
 * Full months measured back from `later` to on-or-after `earlier` (Appendix J (b)(5)(ii)), and the days
 * left over from `earlier` forward to the start of the first full month. Months are measured from day
 * `anchorDay` of each month, clamped to month end (b)(3)(iv).
 */
export function monthsBack(
  earlier: CivilDate,
  later: CivilDate,
  anchorDay: number = later.day,
): { months: number; days: number } {
  // Start from the calendar-month difference (one more month back always lands before `earlier`),
  // then count one month fewer while measuring back that far lands before `earlier`.
  let months = (later.year - earlier.year) * 12 + (later.month - earlier.month);
  while (months > 0 && compareCivil(addMonthsClamped(later, -months, anchorDay), earlier) < 0) months -= 1;
  // anchorDay only exceeds later.day when `later` is a month end, so zero months back is `later` itself.
  const start = addMonthsClamped(later, -months, anchorDay);
  return { months, days: epochDay(start) - epochDay(earlier) };
}

/**
 * t and f between the advance and a payment for a unit-period of `monthsPerUnit` months:
 * (b)(5)(ii)/(iii) count 30 days per full month plus the odd days, divided by 30 days per month of unit.
 */
function offsetInMonths(
  advance: CivilDate,
  payment: CivilDate,
  monthsPerUnit: number,
  anchorDay: number,
): PeriodOffset {
  const { months, days } = monthsBack(advance, payment, anchorDay);
  const unitDays = 30 * monthsPerUnit;
  const totalDays = 30 * months + days;
  const periods = Math.floor(totalDays / unitDays);
  return { periods, fraction: (totalDays - periods * unitDays) / unitDays };
}

/** (b)(5)(iv): for week-based unit-periods, days between the dates divided by days per unit-period. */
function offsetInWeeks(advance: CivilDate, payment: CivilDate, weeksPerUnit: number): PeriodOffset {
  const unitDays = 7 * weeksPerUnit;
  const days = epochDay(payment) - epochDay(advance);
  const periods = Math.floor(days / unitDays);
  return { periods, fraction: (days - periods * unitDays) / unitDays };
}

// ---------------------------------------------------------------------------------------------
// The solver
// ---------------------------------------------------------------------------------------------

export interface PeriodCashFlow {
  amount: number;
  periods: number;
  fraction: number;
}

function presentValue(flows: readonly PeriodCashFlow[], rate: number): { value: number; slope: number } {
  let value = 0;
  let slope = 0;
  for (const flow of flows) {
    const simple = 1 + flow.fraction * rate;
    const compound = (1 + rate) ** flow.periods;
    const pv = flow.amount / (simple * compound);
    value += pv;
    slope -= pv * (flow.fraction / simple + flow.periods / (1 + rate));
  }
  return { value, slope };
}

/**
 * Solves the general equation for the unit-period rate and returns the APR in percent
 * (rate * unit-periods per year * 100), unrounded. Newton's method inside a bisection bracket, so it
 * always converges; it stops when the bracket is below one part in 10^15.
 */
export function aprFromUnitPeriods(
  advanceAmount: number,
  payments: readonly PeriodCashFlow[],
  unitPeriodsPerYear: number,
): number {
  assertMinorUnits(advanceAmount, 'amount');
  if (payments.length === 0)
    throw badRequest('invalid_payments', 'At least one payment is required.', 'payments');
  let total = 0;
  for (const payment of payments) {
    assertMinorUnits(payment.amount, 'payments.amount', { allowZero: true });
    if (
      !Number.isInteger(payment.periods) ||
      payment.periods < 0 ||
      payment.fraction < 0 ||
      payment.fraction >= 1
    ) {
      throw new RangeError(
        'aprFromUnitPeriods: periods must be a non-negative integer and 0 <= fraction < 1',
      );
    }
    total += payment.amount;
  }
  if (total < advanceAmount) {
    throw unprocessable('apr_undefined', 'The payments sum to less than the amount financed.', 'payments');
  }
  if (total === advanceAmount) return 0;

  // PV falls monotonically as the rate rises (every payment is non-negative), so widen `high` until the
  // payments are worth less than the advance, then the root lies in (low, high].
  let low = 0;
  let high = 0.01;
  while (presentValue(payments, high).value > advanceAmount) {
    low = high;
    high *= 2;
    if (high > 1e9) throw unprocessable('apr_undefined', 'The APR is too large to compute.', 'payments');
  }
  let rate = (low + high) / 2;
  for (let iteration = 0; iteration < 500 && high - low > 1e-15 * high; iteration += 1) {
    const { value, slope } = presentValue(payments, rate);
    const excess = value - advanceAmount;
    if (excess === 0) return rate * unitPeriodsPerYear * 100;
    if (excess > 0) low = rate;
    else high = rate;
    const newton = rate - excess / slope;
    rate = newton > low && newton < high ? newton : (low + high) / 2;
  }
  return rate * unitPeriodsPerYear * 100;
}

// ---------------------------------------------------------------------------------------------
// Dated transactions
// ---------------------------------------------------------------------------------------------

export interface DatedAmount {
  /** Integer minor units. */
  amount: number;
  date: CalendarDate;
}

export interface AprOptions {
  /**
   * The unit-period. Default: one month, the most frequent period of a monthly plan (b)(4)(i); a single
   * payment uses the single-advance, single-payment rules of (b)(4)(ii) and (b)(5)(v)-(vii) instead.
   */
  unitPeriod?: UnitPeriod;
}

/** (b)(4)(ii), (b)(5)(v)-(vii): one advance, one payment; the unit-period is the term, at most a year. */
function singlePaymentApr(amount: number, advance: CivilDate, payment: DatedAmount, due: CivilDate): number {
  // Both dates at month end count as whole months (b)(3)(iv): Jan 31 -> Apr 30 is three months.
  const anchorDay = isLastDayOfMonth(due) && isLastDayOfMonth(advance) ? 31 : due.day;
  const { months, days } = monthsBack(advance, due, anchorDay);
  if (months < 12) {
    // The term is the unit-period: t = 1. Per year: 12 / months when whole months, else 365 / days.
    const termDays = epochDay(due) - epochDay(advance);
    const perYear = days === 0 ? 12 / months : 365 / termDays;
    return aprFromUnitPeriods(amount, [{ amount: payment.amount, periods: 1, fraction: 0 }], perYear);
  }
  // A year unit-period: full years measured back, then the rest as whole months / 12 when it is whole
  // months, otherwise as days / 365 (b)(5)(v).
  const years = Math.floor(months / 12);
  const yearsBack = addMonthsClamped(due, -years * 12, anchorDay);
  const fraction = days === 0 ? (months - years * 12) / 12 : (epochDay(yearsBack) - epochDay(advance)) / 365;
  return aprFromUnitPeriods(amount, [{ amount: payment.amount, periods: years, fraction }], 1);
}

/**
 * The APR, in percent and unrounded, of a single advance repaid by `payments`, per Appendix J. Monthly
 * unit-periods by default: all months equal, full months counted back from each payment date, odd days
 * as a fraction of a 30-day month. A payment on the last day of its month is measured from the latest
 * day-of-month in the series, clamped, so a month-end series (Jan 31, Feb 28, Mar 31) is whole months.
 */
export function computeApr(
  advance: DatedAmount,
  payments: readonly DatedAmount[],
  options: AprOptions = {},
): number {
  assertMinorUnits(advance.amount, 'amount');
  const start = toCivil(advance.date, 'date');
  if (payments.length === 0)
    throw badRequest('invalid_payments', 'At least one payment is required.', 'payments');
  const dues = payments.map((payment, index) => {
    const due = toCivil(payment.date, `payments[${index}].date`);
    if (compareCivil(due, start) < 0) {
      throw badRequest(
        'invalid_payments',
        'A payment cannot fall before the advance.',
        `payments[${index}].date`,
      );
    }
    return due;
  });

  const unit = options.unitPeriod;
  const [onlyPayment] = payments;
  const [onlyDue] = dues;
  if (
    unit === undefined &&
    payments.length === 1 &&
    onlyPayment &&
    onlyDue &&
    compareCivil(onlyDue, start) > 0
  ) {
    return singlePaymentApr(advance.amount, start, onlyPayment, onlyDue);
  }

  if (unit !== undefined && 'weeks' in unit) {
    if (!Number.isInteger(unit.weeks) || unit.weeks < 1 || unit.weeks > 52) {
      throw new RangeError('computeApr: unitPeriod.weeks must be an integer from 1 to 52');
    }
    const flows = payments.map((payment, index) => ({
      amount: payment.amount,
      ...offsetInWeeks(start, dues[index] ?? start, unit.weeks),
    }));
    // (b)(5)(iv): 52 divided by the number of weeks per unit-period.
    return aprFromUnitPeriods(advance.amount, flows, 52 / unit.weeks);
  }

  const monthsPerUnit = unit?.months ?? 1;
  if (!Number.isInteger(monthsPerUnit) || monthsPerUnit < 1 || monthsPerUnit > 11) {
    throw new RangeError('computeApr: unitPeriod.months must be an integer from 1 to 11');
  }
  const latestDay = Math.max(...dues.map((due) => due.day));
  const flows = payments.map((payment, index) => {
    const due = dues[index] ?? start;
    const anchorDay = isLastDayOfMonth(due) ? Math.max(due.day, latestDay) : due.day;
    return { amount: payment.amount, ...offsetInMonths(start, due, monthsPerUnit, anchorDay) };
  });
  return aprFromUnitPeriods(advance.amount, flows, 12 / monthsPerUnit);
}

/** Rounds an APR in percent to two decimals, the precision disclosures carry (a rate, not money). */
export function roundApr(apr: number): number {
  return Math.round(apr * 100) / 100;
}
