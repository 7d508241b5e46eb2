import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { computeApr, roundApr } from '../../functions/installments/apr.ts';
import {
  assertAmountWithinLimits,
  DEFAULT_PLAN_CATALOGUE,
  findPlan,
  lateFeeCap,
  nextLateFee,
  type PlanCatalogue,
  PlanCatalogueSchema,
} from '../../functions/installments/plans.ts';
import { buildSchedule } from '../../functions/installments/schedule.ts';
import { CURRENCY_CODES, type CurrencyCode } from '../../functions/lib/money.ts';
import { thrownApiError } from '../support/errors.ts';

const DAY = 86_400_000;
const at = (iso: string) => new Date(iso);
const dueDates = (schedule: { installments: { dueDate: string }[] }) =>
  schedule.installments.map((i) => i.dueDate);
const amounts = (schedule: { installments: { amount: number }[] }) =>
  schedule.installments.map((i) => i.amount);

const apiError = thrownApiError;

/** An oracle independent of the code under test: the Gregorian month lengths. */
function monthLength(year: number, month: number): number {
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] ?? Number.NaN;
}

describe('pay_in_4', () => {
  it('four parts, the remainder on the first, at capture then every 14 days (across a leap February)', () => {
    const schedule = buildSchedule('pay_in_4', 10_003, 'USD', at('2024-02-20T15:30:00Z'));
    expect(amounts(schedule)).toEqual([2_503, 2_500, 2_500, 2_500]);
    expect(dueDates(schedule)).toEqual(['2024-02-20', '2024-03-05', '2024-03-19', '2024-04-02']);
    expect(schedule.installments.map((i) => i.seq)).toEqual([1, 2, 3, 4]);
    expect(schedule.disclosure).toEqual({
      amountFinanced: 10_003,
      financeCharge: 0,
      totalOfPayments: 10_003,
      apr: 0,
      payment: 2_500,
    });
  });

  it('uses the UTC day of the capture instant and crosses the year end', () => {
    const schedule = buildSchedule('pay_in_4', 4_000, 'JPY', at('2023-12-31T23:59:59.999-00:00'));
    expect(dueDates(schedule)).toEqual(['2023-12-31', '2024-01-14', '2024-01-28', '2024-02-11']);
    // 23:30 in New York on Dec 30 is already Dec 31 in UTC.
    expect(dueDates(buildSchedule('pay_in_4', 4_000, 'JPY', at('2023-12-30T23:30:00-05:00')))[0]).toBe(
      '2023-12-31',
    );
  });
});

describe('pay_in_30', () => {
  it('is one payment 30 days after capture, across leap and common Februaries', () => {
    expect(buildSchedule('pay_in_30', 5_000, 'KWD', at('2024-01-31T00:00:00Z')).installments).toEqual([
      { seq: 1, dueDate: '2024-03-01', amount: 5_000, principal: 5_000, interest: 0 },
    ]);
    expect(dueDates(buildSchedule('pay_in_30', 5_000, 'KWD', at('2023-01-31T00:00:00Z')))).toEqual([
      '2023-03-02',
    ]);
    expect(dueDates(buildSchedule('pay_in_30', 5_000, 'KWD', at('2024-12-15T08:00:00Z')))).toEqual([
      '2025-01-14',
    ]);
  });
});

describe('monthly', () => {
  it('is due on the capture day-of-month, clamped to month end, never drifting (Jan 31, leap year)', () => {
    const schedule = buildSchedule('monthly', 120_000, 'USD', at('2024-01-31T10:00:00Z'), {
      termMonths: 12,
      aprBps: 0,
    });
    expect(dueDates(schedule)).toEqual([
      '2024-02-29',
      '2024-03-31',
      '2024-04-30',
      '2024-05-31',
      '2024-06-30',
      '2024-07-31',
      '2024-08-31',
      '2024-09-30',
      '2024-10-31',
      '2024-11-30',
      '2024-12-31',
      '2025-01-31',
    ]);
    expect(amounts(schedule)).toEqual(new Array(12).fill(10_000));
  });

  it('clamps to Feb 28 in a common year and keeps the 29th/30th anchors', () => {
    const opts = { termMonths: 3, aprBps: 1_999 };
    expect(dueDates(buildSchedule('monthly', 50_000, 'EUR', at('2023-01-31T00:00:00Z'), opts))).toEqual([
      '2023-02-28',
      '2023-03-31',
      '2023-04-30',
    ]);
    expect(dueDates(buildSchedule('monthly', 50_000, 'EUR', at('2024-02-29T00:00:00Z'), opts))).toEqual([
      '2024-03-29',
      '2024-04-29',
      '2024-05-29',
    ]);
    expect(
      dueDates(
        buildSchedule('monthly', 50_000, 'EUR', at('2024-11-30T00:00:00Z'), { ...opts, termMonths: 4 }),
      ),
    ).toEqual(['2024-12-30', '2025-01-30', '2025-02-28', '2025-03-30']);
  });

  it('amortizes, with the final payment adjusted and the principal summing to the amount', () => {
    const schedule = buildSchedule('monthly', 250_000, 'USD', at('2025-03-15T00:00:00Z'), {
      termMonths: 12,
      aprBps: 824,
    });
    expect(amounts(schedule)).toEqual([...new Array(11).fill(21_775), 21_772]);
    expect(schedule.installments.reduce((sum, i) => sum + i.principal, 0)).toBe(250_000);
    expect(schedule.disclosure).toMatchObject({ apr: 8.24, financeCharge: 11_297, totalOfPayments: 261_297 });
  });

  it('validates the term and APR against the catalogue', () => {
    const capture = at('2025-01-01T00:00:00Z');
    const monthly = (opts: { termMonths?: number; aprBps?: number }) => () =>
      buildSchedule('monthly', 50_000, 'USD', capture, opts);
    expect(apiError(monthly({ termMonths: 2, aprBps: 0 }))).toMatchObject({
      status: 422,
      code: 'term_not_offered',
    });
    expect(apiError(monthly({ termMonths: 37, aprBps: 0 }))).toMatchObject({
      status: 422,
      param: 'termMonths',
    });
    expect(apiError(monthly({ aprBps: 0 }))).toMatchObject({ status: 400, param: 'termMonths' });
    expect(apiError(monthly({ termMonths: 6.5, aprBps: 0 }))).toMatchObject({
      status: 400,
      param: 'termMonths',
    });
    expect(apiError(monthly({ termMonths: 6, aprBps: 3_601 }))).toMatchObject({
      status: 422,
      code: 'apr_out_of_range',
    });
    expect(apiError(monthly({ termMonths: 6 }))).toMatchObject({ status: 400, param: 'aprBps' });
  });
});

describe('validation', () => {
  const capture = at('2025-01-01T00:00:00Z');

  it('rejects malformed amounts, currencies and dates', () => {
    expect(apiError(() => buildSchedule('pay_in_4', 10.5, 'USD', capture))).toMatchObject({
      status: 400,
      param: 'amount',
    });
    expect(apiError(() => buildSchedule('pay_in_4', 0, 'USD', capture))).toMatchObject({
      status: 422,
      param: 'amount',
    });
    expect(apiError(() => buildSchedule('pay_in_4', 100, 'XXX', capture))).toMatchObject({
      status: 400,
      param: 'currency',
    });
    expect(apiError(() => buildSchedule('pay_in_4', 100, 'USD', new Date(Number.NaN)))).toMatchObject({
      status: 400,
      param: 'captureDate',
    });
  });

  it('refuses a plan that is listed but not offered; a subscription period is one payment at capture', () => {
    const notOffered: PlanCatalogue = {
      ...DEFAULT_PLAN_CATALOGUE,
      plans: DEFAULT_PLAN_CATALOGUE.plans.map((plan) => ({ ...plan, offered: plan.id !== 'subscription' })),
    };
    expect(
      apiError(() => buildSchedule('subscription', 1_000, 'USD', capture, { catalogue: notOffered })),
    ).toMatchObject({ status: 422, code: 'plan_not_offered' });
    const period = buildSchedule('subscription', 1_001, 'USD', capture);
    expect(period.installments).toEqual([
      { seq: 1, dueDate: capture.toISOString().slice(0, 10), amount: 1_001, principal: 1_001, interest: 0 },
    ]);
    expect(period.disclosure).toMatchObject({ apr: 0, financeCharge: 0, totalOfPayments: 1_001 });
    const noPayIn4: PlanCatalogue = {
      ...DEFAULT_PLAN_CATALOGUE,
      plans: DEFAULT_PLAN_CATALOGUE.plans.filter((plan) => plan.id !== 'pay_in_4'),
    };
    expect(
      apiError(() => buildSchedule('pay_in_4', 1_000, 'USD', capture, { catalogue: noPayIn4 })).code,
    ).toBe('plan_not_offered');
  });
});

describe('catalogue', () => {
  it('is valid against the published schema and lists every plan', () => {
    expect(PlanCatalogueSchema.parse(DEFAULT_PLAN_CATALOGUE)).toEqual(DEFAULT_PLAN_CATALOGUE);
    expect(DEFAULT_PLAN_CATALOGUE.plans.map((plan) => [plan.id, plan.offered])).toEqual([
      ['pay_in_4', true],
      ['pay_in_30', true],
      ['monthly', true],
      ['subscription', true],
    ]);
    const monthly = findPlan('monthly');
    expect(monthly).toMatchObject({ termMonths: { min: 3, max: 36 } });
    expect(DEFAULT_PLAN_CATALOGUE.fees.lateFeeCapBps).toBe(2_500);
  });

  it('rejects a catalogue with floats, inverted ranges or duplicates', () => {
    const payIn4 = DEFAULT_PLAN_CATALOGUE.plans[0];
    const bad = (patch: object) =>
      PlanCatalogueSchema.safeParse({ ...DEFAULT_PLAN_CATALOGUE, ...patch }).success;
    expect(bad({ plans: [{ ...payIn4, limits: { USD: { min: 10.5, max: 100 } } }] })).toBe(false);
    expect(bad({ plans: [{ ...payIn4, limits: { USD: { min: 500, max: 100 } } }] })).toBe(false);
    expect(bad({ plans: [payIn4, payIn4] })).toBe(false);
    expect(bad({ fees: { lateFee: {}, lateFeeCapBps: 10_001 } })).toBe(false);
  });

  it('enforces per-currency amount limits with 422s', () => {
    const plan = findPlan('pay_in_4');
    expect(() => assertAmountWithinLimits(plan, 3_500, 'USD')).not.toThrow();
    expect(apiError(() => assertAmountWithinLimits(plan, 3_499, 'USD'))).toMatchObject({
      status: 422,
      code: 'amount_out_of_range',
    });
    expect(apiError(() => assertAmountWithinLimits(plan, 200_001, 'USD')).param).toBe('amount');
    expect(() => assertAmountWithinLimits(plan, 5_250, 'JPY')).not.toThrow();
  });

  it('caps late fees at 25% of the order', () => {
    expect(lateFeeCap(10_001)).toBe(2_500);
    expect(nextLateFee(10_000, 'USD', 0)).toBe(700);
    expect(nextLateFee(10_000, 'USD', 2_100)).toBe(400);
    expect(nextLateFee(10_000, 'USD', 2_500)).toBe(0);
    expect(nextLateFee(1_000, 'USD', 300)).toBe(0);
  });
});

describe('properties', () => {
  const EXPONENT_SAMPLES: CurrencyCode[] = ['JPY', 'KRW', 'USD', 'GBP', 'KWD', 'TND'];
  const captureArb = fc.date({
    min: new Date('1970-01-01T00:00:00Z'),
    max: new Date('2199-12-31T23:59:59Z'),
    noInvalidDate: true,
  });
  const maxFor = (plan: 'pay_in_4' | 'pay_in_30' | 'monthly', currency: CurrencyCode) =>
    findPlan(plan).limits[currency]?.max ?? 1;

  it('every schedule sums exactly, for every plan, exponent and amount up to the plan maximum', () => {
    const arb = fc
      .record({
        plan: fc.constantFrom('pay_in_4' as const, 'pay_in_30' as const, 'monthly' as const),
        currency: fc.constantFrom(...EXPONENT_SAMPLES, ...CURRENCY_CODES),
        capture: captureArb,
        termMonths: fc.integer({ min: 3, max: 36 }),
        aprBps: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 3_600 })),
      })
      .chain((input) => {
        const max = maxFor(input.plan, input.currency);
        // The bounds themselves are drawn often, not left to chance.
        const amount = fc.oneof(fc.constant(1), fc.constant(max), fc.integer({ min: 1, max }));
        return amount.map((value) => ({ ...input, amount: value }));
      });
    fc.assert(
      fc.property(arb, ({ plan, currency, capture, termMonths, aprBps, amount }) => {
        const schedule = buildSchedule(plan, amount, currency, capture, { termMonths, aprBps });
        const total = schedule.installments.reduce((sum, i) => sum + i.amount, 0);
        const principal = schedule.installments.reduce((sum, i) => sum + i.principal, 0);
        expect(principal).toBe(amount);
        expect(total).toBe(schedule.disclosure.totalOfPayments);
        expect(total).toBe(amount + schedule.disclosure.financeCharge);
        for (const installment of schedule.installments) {
          expect(Number.isSafeInteger(installment.amount) && installment.amount > 0).toBe(true);
          expect(installment.amount).toBe(installment.principal + installment.interest);
        }
        if (plan !== 'monthly' || aprBps === 0) expect(total).toBe(amount);
      }),
      { numRuns: 500 },
    );
  });

  it('pay_in_4: the last three parts are equal and the first carries exactly the remainder', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...EXPONENT_SAMPLES),
        fc.integer({ min: 4, max: 10_000_000_000 }),
        captureArb,
        (currency, amount, capture) => {
          const [first = -1, second, third, fourth] = amounts(
            buildSchedule('pay_in_4', amount, currency, capture),
          );
          expect(second).toBe(third);
          expect(third).toBe(fourth);
          expect(first - (second ?? 0)).toBe(amount % 4);
          expect(first - (second ?? 0)).toBeLessThan(4);
        },
      ),
    );
  });

  it('no installment is ever 0, on every plan, capture size and exponent (ADR 0011)', () => {
    // Captures may be partial, so any amount from 1 minor unit up reaches the schedule.
    const arb = fc.record({
      plan: fc.constantFrom('pay_in_4' as const, 'pay_in_30' as const, 'monthly' as const),
      currency: fc.constantFrom<CurrencyCode>('JPY', 'USD', 'KWD'),
      amount: fc.oneof(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 5_000_000 })),
      termMonths: fc.integer({ min: 3, max: 36 }),
      aprBps: fc.oneof(fc.constant(0), fc.constant(1_499), fc.integer({ min: 0, max: 3_600 })),
      capture: captureArb,
    });
    fc.assert(
      fc.property(arb, ({ plan, currency, amount, termMonths, aprBps, capture }) => {
        const schedule = buildSchedule(plan, amount, currency, capture, { termMonths, aprBps });
        const parts = amounts(schedule);
        for (const part of parts) expect(part).toBeGreaterThan(0);
        expect(schedule.installments.reduce((sum, i) => sum + i.principal, 0)).toBe(amount);
        expect(parts.reduce((a, b) => a + b, 0)).toBe(schedule.disclosure.totalOfPayments);
        expect(schedule.installments.map((i) => i.seq)).toEqual(parts.map((_, index) => index + 1));
        if (plan === 'pay_in_4') expect(parts).toHaveLength(Math.min(4, amount));
        if (plan === 'monthly') expect(parts.length).toBeLessThanOrEqual(termMonths);
        if (plan === 'pay_in_4' || (plan === 'monthly' && aprBps === 0)) {
          // The remainder on the first (ADR 0005); every other part equal.
          const [first = 0, ...rest] = parts;
          for (const part of rest) expect(part).toBe(rest[0]);
          expect(first - (rest[0] ?? first)).toBe(amount % parts.length);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('a capture too small for every installment gets fewer: 1 unit is one payment at capture', () => {
    const at = new Date('2026-03-02T10:00:00Z');
    expect(amounts(buildSchedule('pay_in_4', 1, 'USD', at))).toEqual([1]);
    expect(dueDates(buildSchedule('pay_in_4', 1, 'USD', at))).toEqual(['2026-03-02']);
    expect(amounts(buildSchedule('pay_in_4', 3, 'JPY', at))).toEqual([1, 1, 1]);
    expect(amounts(buildSchedule('pay_in_4', 5, 'KWD', at))).toEqual([2, 1, 1, 1]);
    expect(amounts(buildSchedule('monthly', 2, 'USD', at, { termMonths: 12, aprBps: 0 }))).toEqual([1, 1]);
    // 5 cents at 14.99% over 12 months: the level payment rounds to 0, so the longest term with no
    // zero payment is 5 months of 1 cent (interest on a few cents rounds to 0).
    const tiny = buildSchedule('monthly', 5, 'USD', at, { termMonths: 12, aprBps: 1_499 });
    expect(amounts(tiny)).toEqual([1, 1, 1, 1, 1]);
    expect(dueDates(tiny)).toEqual(['2026-04-02', '2026-05-02', '2026-06-02', '2026-07-02', '2026-08-02']);
  });

  it('pay_in_4 and pay_in_30 dates are exactly 0/14/28/42 and 30 UTC days from the capture day', () => {
    fc.assert(
      fc.property(captureArb, (capture) => {
        const captureDay = Date.UTC(capture.getUTCFullYear(), capture.getUTCMonth(), capture.getUTCDate());
        dueDates(buildSchedule('pay_in_4', 1_000, 'USD', capture)).forEach((date, k) => {
          expect(Date.parse(`${date}T00:00:00Z`) - captureDay).toBe(k * 14 * DAY);
        });
        const [due30 = ''] = dueDates(buildSchedule('pay_in_30', 1_000, 'USD', capture));
        expect(Date.parse(`${due30}T00:00:00Z`) - captureDay).toBe(30 * DAY);
      }),
    );
  });

  it('monthly dates: the k-th month after capture, on the capture day clamped to that month length', () => {
    fc.assert(
      fc.property(captureArb, fc.integer({ min: 3, max: 36 }), (capture, termMonths) => {
        const schedule = buildSchedule('monthly', 100_000, 'USD', capture, { termMonths, aprBps: 1_500 });
        const anchor = capture.getUTCDate();
        schedule.installments.forEach((installment, index) => {
          const months = capture.getUTCFullYear() * 12 + capture.getUTCMonth() + index + 1;
          const year = Math.floor(months / 12);
          const month = (months % 12) + 1;
          const day = Math.min(anchor, monthLength(year, month));
          const expected = `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
          expect(installment.dueDate).toBe(expected);
        });
      }),
    );
  });

  it('monthly: the Appendix J APR of the dated schedule equals the disclosed APR, month ends included', () => {
    fc.assert(
      fc.property(
        captureArb,
        fc.integer({ min: 3, max: 36 }),
        fc.integer({ min: 1, max: 3_600 }),
        fc.integer({ min: 10_000, max: 1_000_000_000 }),
        (capture, termMonths, aprBps, amount) => {
          const schedule = buildSchedule('monthly', amount, 'USD', capture, { termMonths, aprBps });
          const apr = computeApr(
            { amount, date: capture },
            schedule.installments.map((i) => ({ amount: i.amount, date: i.dueDate })),
          );
          expect(roundApr(apr)).toBe(schedule.disclosure.apr);
        },
      ),
    );
  });
});
