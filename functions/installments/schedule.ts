/**
 * Builds an order's installment schedule from its plan, amount and capture date. Pure: no I/O, no clock.
 * All dates are UTC calendar days (`YYYY-MM-DD`); all amounts integer minor units.
 *
 * No installment is ever 0 (docs/adr/0011-no-zero-installment.md): an amount too small to give every
 * installment at least one minor unit gets fewer installments (the first ones of the plan's dates),
 * never a zero one. pay_in_4 of 2 units is [1, 1] at capture and +14 days.
 *
 * Due dates:
 * - pay_in_4: capture day, then +14, +28 and +42 days.
 * - pay_in_30: capture day + 30 days.
 * - monthly: the capture's day-of-month in each following month, clamped to month end. Each date is
 *   computed from the capture date (not from the previous due date), so a Jan 31 capture is due
 *   Feb 28 (Feb 29 in a leap year), Mar 31, Apr 30, May 31, ...
 * - subscription: one period of a recurring agreement, the whole amount on the capture day.
 */
import { badRequest, unprocessable } from '../lib/errors.ts';
import { allocate, assertMinorUnits, type CurrencyCode, currencyExponent } from '../lib/money.ts';
import { amortize, type Disclosure } from './amortization.ts';
import { addDays, addMonthsClamped, type CivilDate, formatCivil, toCivil } from './apr.ts';
import { DEFAULT_PLAN_CATALOGUE, findPlan, type Plan, type PlanCatalogue, type PlanId } from './plans.ts';

export interface ScheduledInstallment {
  /** 1-based order of collection. */
  seq: number;
  dueDate: string;
  amount: number;
  /** The part of `amount` that repays the amount financed (equal to `amount` on interest-free plans). */
  principal: number;
  interest: number;
}

export interface Schedule {
  plan: PlanId;
  currency: CurrencyCode;
  amount: number;
  installments: ScheduledInstallment[];
  disclosure: Disclosure;
}

export interface ScheduleOptions {
  /** Required for `monthly`. */
  termMonths?: number;
  /** Nominal APR in basis points, required for `monthly` (0 is an interest-free monthly plan). */
  aprBps?: number;
  catalogue?: PlanCatalogue;
}

function interestFree(parts: number[], dueOn: (index: number) => CivilDate): ScheduledInstallment[] {
  return parts.map((part, index) => ({
    seq: index + 1,
    dueDate: formatCivil(dueOn(index)),
    amount: part,
    principal: part,
    interest: 0,
  }));
}

function freeDisclosure(amount: number, regularPayment: number): Disclosure {
  return {
    amountFinanced: amount,
    financeCharge: 0,
    totalOfPayments: amount,
    apr: 0,
    payment: regularPayment,
  };
}

/**
 * The schedule for `amount` minor units of `currency` under `plan`, captured on `captureDate` (its UTC
 * day). Validates the currency, the amount's form, the plan being offered and, for monthly, the term and
 * APR against the catalogue. It does not apply the per-currency amount limits (see
 * `assertAmountWithinLimits`), so the arithmetic is defined for any positive amount.
 */
export function buildSchedule(
  plan: PlanId,
  amount: number,
  currency: string,
  captureDate: Date,
  options: ScheduleOptions = {},
): Schedule {
  currencyExponent(currency);
  const code = currency as CurrencyCode;
  assertMinorUnits(amount, 'amount');
  if (!(captureDate instanceof Date) || Number.isNaN(captureDate.getTime())) {
    throw badRequest('invalid_date', 'captureDate must be a valid date.', 'captureDate');
  }
  const capture = toCivil(captureDate, 'captureDate');
  const config = findPlan(plan, options.catalogue ?? DEFAULT_PLAN_CATALOGUE);

  switch (config.id) {
    case 'pay_in_4': {
      // Never a zero installment (ADR 0011): fewer than four when the amount cannot give each one unit.
      const parts = allocate(amount, Math.min(config.installments, amount));
      return {
        plan,
        currency: code,
        amount,
        installments: interestFree(parts, (index) => addDays(capture, index * config.intervalDays)),
        disclosure: freeDisclosure(amount, parts[parts.length - 1] ?? amount),
      };
    }
    case 'pay_in_30': {
      return {
        plan,
        currency: code,
        amount,
        installments: interestFree([amount], () => addDays(capture, config.dueAfterDays)),
        disclosure: freeDisclosure(amount, amount),
      };
    }
    case 'monthly': {
      const { termMonths, aprBps } = monthlyTerms(config, options);
      const { rows, disclosure } = amortize(amount, aprBps, termMonths);
      return {
        plan,
        currency: code,
        amount,
        installments: rows.map((row) => ({
          seq: row.seq,
          dueDate: formatCivil(addMonthsClamped(capture, row.seq)),
          amount: row.payment,
          principal: row.principal,
          interest: row.interest,
        })),
        disclosure,
      };
    }
    case 'subscription':
      // One period of a recurring agreement (functions/subscriptions, functions/agreements): the whole
      // amount in one payment at capture. The next period is its own order (./cadence.ts dates it).
      return {
        plan,
        currency: code,
        amount,
        installments: interestFree([amount], () => capture),
        disclosure: freeDisclosure(amount, amount),
      };
  }
}

/** The monthly plan's term and APR, checked against the plan's published ranges. */
function monthlyTerms(
  config: Extract<Plan, { id: 'monthly' }>,
  { termMonths, aprBps }: ScheduleOptions,
): { termMonths: number; aprBps: number } {
  if (termMonths === undefined || !Number.isInteger(termMonths)) {
    throw badRequest('invalid_term', 'termMonths must be an integer number of months.', 'termMonths');
  }
  if (termMonths < config.termMonths.min || termMonths > config.termMonths.max) {
    throw unprocessable(
      'term_not_offered',
      `Monthly plans run from ${config.termMonths.min} to ${config.termMonths.max} months.`,
      'termMonths',
    );
  }
  if (aprBps === undefined || !Number.isInteger(aprBps)) {
    throw badRequest('invalid_apr', 'aprBps must be an integer number of basis points.', 'aprBps');
  }
  if (aprBps < config.aprBps.min || aprBps > config.aprBps.max) {
    throw unprocessable(
      'apr_out_of_range',
      `The APR must be from ${config.aprBps.min} to ${config.aprBps.max} basis points.`,
      'aprBps',
    );
  }
  return { termMonths, aprBps };
}
