import { describe, expect, it } from 'vitest';
import {
  addMonthsClamped,
  aprFromUnitPeriods,
  computeApr,
  type DatedAmount,
  formatCivil,
  monthsBack,
  toCivil,
} from '../../functions/installments/apr.ts';
import { ApiError } from '../../functions/lib/errors.ts';

/**
 * Worked examples from 12 CFR 1026 Appendix J, paragraph (c), "Examples for the actuarial method".
 * Amounts are in cents; each test names its paragraph and the APR the appendix states. Reg Z's tolerance
 * is 1/8 of a percentage point (1026.22(a)(2)); these tests hold the computed APR to 0.005 points, i.e.
 * it must round to the stated two-decimal figure.
 */
const TOLERANCE = 0.005;

/** `count` payments of `amount`, the k-th on `step(k)` (k from 0). */
function series(amount: number, count: number, step: (k: number) => string): DatedAmount[] {
  return Array.from({ length: count }, (_, k) => ({ amount, date: step(k) }));
}

const monthly = (first: string) => (k: number) => formatCivil(addMonthsClamped(toCivil(first), k));
const everyMonths = (first: string, months: number) => (k: number) =>
  formatCivil(addMonthsClamped(toCivil(first), k * months));
const everyDays = (first: string, days: number) => (k: number) => {
  const at = toCivil(first);
  return new Date(Date.UTC(at.year, at.month - 1, at.day + k * days)).toISOString().slice(0, 10);
};

describe('Appendix J (c)(1): single advance, with or without an odd first period, otherwise regular', () => {
  it('(c)(1)(i) monthly payments, regular first period: $5,000, 24 x $230 -> 9.69%', () => {
    const apr = computeApr(
      { amount: 500_000, date: '1978-01-10' },
      series(23_000, 24, monthly('1978-02-10')),
    );
    expect(Math.abs(apr - 9.69)).toBeLessThan(TOLERANCE);
  });

  it('(c)(1)(ii) monthly payments, long first period (t = 1, f = 19/30): $6,000, 36 x $200 -> 11.82%', () => {
    const apr = computeApr(
      { amount: 600_000, date: '1978-02-10' },
      series(20_000, 36, monthly('1978-04-01')),
    );
    expect(Math.abs(apr - 11.82)).toBeLessThan(TOLERANCE);
  });

  it('(c)(1)(iv) quarterly payments, long first period (t = 1, f = 39/90): $10,000, 40 x $385 -> 8.97%', () => {
    const apr = computeApr(
      { amount: 1_000_000, date: '1978-05-23' },
      series(38_500, 40, everyMonths('1978-10-01', 3)),
      { unitPeriod: { months: 3 } },
    );
    expect(Math.abs(apr - 8.97)).toBeLessThan(TOLERANCE);
  });

  it('(c)(1)(v) weekly payments, long first period (t = 4, f = 4/7): $500, 30 x $17.60 -> 14.96%', () => {
    const apr = computeApr(
      { amount: 50_000, date: '1978-03-20' },
      series(1_760, 30, everyDays('1978-04-21', 7)),
      {
        unitPeriod: { weeks: 1 },
      },
    );
    expect(Math.abs(apr - 14.96)).toBeLessThan(TOLERANCE);
  });
});

describe('Appendix J (c)(2): single advance with an odd first payment', () => {
  it('(c)(2)(i) monthly, $250 then 23 x $230 on a $5,000 advance -> 10.08%', () => {
    const payments = [{ amount: 25_000, date: '1978-02-10' }, ...series(23_000, 23, monthly('1978-03-10'))];
    const apr = computeApr({ amount: 500_000, date: '1978-01-10' }, payments);
    expect(Math.abs(apr - 10.08)).toBeLessThan(TOLERANCE);
  });

  it('(c)(2)(ii) every 4 weeks, long first period (f = 5/28): $39.50 then 11 x $38.31 on $400 -> 28.50%', () => {
    const payments = [
      { amount: 3_950, date: '1978-04-20' },
      ...series(3_831, 11, everyDays('1978-05-18', 28)),
    ];
    const apr = computeApr({ amount: 40_000, date: '1978-03-18' }, payments, { unitPeriod: { weeks: 4 } });
    expect(Math.abs(apr - 28.5)).toBeLessThan(TOLERANCE);
  });
});

describe('Appendix J (c)(3): single advance with an odd final payment', () => {
  it('(c)(3)(i) monthly, 23 x $230 then $280 on a $5,000 advance -> 10.50%', () => {
    const payments = [...series(23_000, 23, monthly('1978-02-10')), { amount: 28_000, date: '1980-01-10' }];
    const apr = computeApr({ amount: 500_000, date: '1978-01-10' }, payments);
    expect(Math.abs(apr - 10.5)).toBeLessThan(TOLERANCE);
  });

  it('(c)(3)(ii) every 2 weeks, short first period (t = 0, f = 8/14): 19 x $9.50 then $30 on $200 -> 12.22%', () => {
    const step = everyDays('1978-04-11', 14);
    const payments = [...series(950, 19, step), { amount: 3_000, date: step(19) }];
    const apr = computeApr({ amount: 20_000, date: '1978-04-03' }, payments, { unitPeriod: { weeks: 2 } });
    expect(Math.abs(apr - 12.22)).toBeLessThan(TOLERANCE);
  });
});

describe('Appendix J (c)(4): single advance with odd first and final payments', () => {
  it('(c)(4)(i) monthly, $250, 22 x $230, then $280 on a $5,000 advance -> 10.90%', () => {
    const payments = [
      { amount: 25_000, date: '1978-02-10' },
      ...series(23_000, 22, monthly('1978-03-10')),
      { amount: 28_000, date: '1980-01-10' },
    ];
    const apr = computeApr({ amount: 500_000, date: '1978-01-10' }, payments);
    expect(Math.abs(apr - 10.9)).toBeLessThan(TOLERANCE);
  });

  it('(c)(4)(ii) every 2 months, short first period (f = 52/60): $449.36, 18 x $465, $200 on $8,000 -> 7.30%', () => {
    const payments = [
      { amount: 44_936, date: '1978-03-01' },
      ...series(46_500, 18, everyMonths('1978-05-01', 2)),
      { amount: 20_000, date: '1981-05-01' },
    ];
    const apr = computeApr({ amount: 800_000, date: '1978-01-10' }, payments, { unitPeriod: { months: 2 } });
    expect(Math.abs(apr - 7.3)).toBeLessThan(TOLERANCE);
  });
});

describe('Appendix J (c)(5): single advance, single payment', () => {
  it('(c)(5)(i) term of 255 days (unit-period = term, 365/255 per year): $1,000 -> $1,080 -> 11.45%', () => {
    const apr = computeApr({ amount: 100_000, date: '1978-01-03' }, [
      { amount: 108_000, date: '1978-09-15' },
    ]);
    expect(Math.abs(apr - 11.45)).toBeLessThan(TOLERANCE);
  });

  it('(c)(5)(ii) term of 6 whole months (2 unit-periods a year): $1,000 -> $1,044 -> 8.80%', () => {
    const apr = computeApr({ amount: 100_000, date: '1978-01-03' }, [
      { amount: 104_400, date: '1978-07-03' },
    ]);
    expect(Math.abs(apr - 8.8)).toBeLessThan(TOLERANCE);
  });

  it('(c)(5)(iii) term of 18 months (a year unit-period, t = 1, f = 6/12): $1,000 -> $1,135.19 -> 8.76%', () => {
    const apr = computeApr({ amount: 100_000, date: '1978-01-03' }, [
      { amount: 113_519, date: '1979-07-03' },
    ]);
    expect(Math.abs(apr - 8.76)).toBeLessThan(TOLERANCE);
  });

  it('(c)(5)(iv) term of exactly 2 years (t = 2): $1,000 -> $1,240 -> 11.36%', () => {
    const apr = computeApr({ amount: 100_000, date: '1978-01-03' }, [
      { amount: 124_000, date: '1980-01-03' },
    ]);
    expect(Math.abs(apr - 11.36)).toBeLessThan(TOLERANCE);
  });
});

describe('Appendix J (c)(6): complex single advance with irregular payments (in unit-period terms)', () => {
  // These two examples are stated in t/f terms, so they exercise the solver directly.
  const run = (amount: number, count: number, t: number, f: number) =>
    Array.from({ length: count }, (_, k) => ({ amount, periods: t + k, fraction: f }));

  it('(c)(6)(i) skipped payments every 4 weeks: $2,135 repaid by 24 x $100 in four runs -> 12.00%', () => {
    const flows = [...run(10_000, 9, 0, 26 / 28), ...run(10_000, 6, 10, 12 / 28)];
    flows.push(...run(10_000, 6, 16, 26 / 28), ...run(10_000, 3, 23, 12 / 28));
    expect(Math.abs(aprFromUnitPeriods(213_500, flows, 13) - 12)).toBeLessThan(TOLERANCE);
  });

  it('(c)(6)(ii) monthly, skipped payments plus single payments on $7,350 -> 10.22%', () => {
    const flows = [
      ...run(100_000, 3, 6, 12 / 30),
      { amount: 200_000, periods: 12, fraction: 12 / 30 },
      ...run(75_000, 3, 18, 12 / 30),
      { amount: 100_000, periods: 22, fraction: 29 / 30 },
    ];
    expect(Math.abs(aprFromUnitPeriods(735_000, flows, 12) - 10.22)).toBeLessThan(TOLERANCE);
  });
});

describe('month measurement (Appendix J (b)(3)(iv), (b)(5)(ii))', () => {
  it('counts full months back from the later date and the odd days forward from the earlier one', () => {
    // (c)(1)(ii): 1978-02-10 to 1978-04-01 is one month back to 03-01, plus 19 days (Feb 1978 has 28).
    expect(monthsBack(toCivil('1978-02-10'), toCivil('1978-04-01'))).toEqual({ months: 1, days: 19 });
    expect(monthsBack(toCivil('2024-01-15'), toCivil('2024-01-20'))).toEqual({ months: 0, days: 5 });
    expect(monthsBack(toCivil('2024-01-15'), toCivil('2025-01-15'))).toEqual({ months: 12, days: 0 });
  });

  it('measures a month-end series from month end to month end', () => {
    // Jan 31 -> Feb 29 is one whole month when the series runs on the last day of each month.
    expect(monthsBack(toCivil('2024-01-31'), toCivil('2024-02-29'), 31)).toEqual({ months: 1, days: 0 });
    // Without the month-end anchor, Feb 29 measured back one month is Jan 29, before the advance.
    expect(monthsBack(toCivil('2024-01-31'), toCivil('2024-02-29'))).toEqual({ months: 0, days: 29 });
  });

  it('gives a month-end monthly schedule the APR of a regular one', () => {
    const advance = { amount: 100_000, date: '2023-01-31' };
    const ends = ['2023-02-28', '2023-03-31', '2023-04-30', '2023-05-31', '2023-06-30', '2023-07-31'];
    const regular = aprFromUnitPeriods(
      100_000,
      ends.map((_, k) => ({ amount: 17_500, periods: k + 1, fraction: 0 })),
      12,
    );
    const dated = computeApr(
      advance,
      ends.map((date) => ({ amount: 17_500, date })),
    );
    expect(dated).toBeCloseTo(regular, 10);
  });
});

describe('edge cases', () => {
  it('is exactly 0 when the payments equal the advance', () => {
    expect(
      computeApr({ amount: 1_000, date: '2024-01-01' }, series(250, 4, everyDays('2024-01-01', 14))),
    ).toBe(0);
  });

  it('rejects payments that do not repay the advance', () => {
    expect(() =>
      computeApr({ amount: 1_000, date: '2024-01-01' }, [{ amount: 999, date: '2024-02-01' }]),
    ).toThrow(expect.objectContaining({ status: 422, code: 'apr_undefined' }));
  });

  it('rejects a payment dated before the advance, naming it', () => {
    try {
      computeApr({ amount: 1_000, date: '2024-02-01' }, [{ amount: 1_100, date: '2024-01-01' }]);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ApiError);
      expect(error).toMatchObject({ status: 400, param: 'payments[0].date' });
    }
  });

  it('rejects malformed dates and amounts', () => {
    expect(() =>
      computeApr({ amount: 1_000, date: '2024-02-30' }, [{ amount: 1_100, date: '2024-03-01' }]),
    ).toThrow(expect.objectContaining({ code: 'invalid_date', param: 'date' }));
    expect(() =>
      computeApr({ amount: 10.5, date: '2024-02-01' }, [{ amount: 1_100, date: '2024-03-01' }]),
    ).toThrow(expect.objectContaining({ code: 'invalid_amount' }));
    expect(() => computeApr({ amount: 1_000, date: '2024-02-01' }, [])).toThrow(
      expect.objectContaining({ code: 'invalid_payments' }),
    );
  });

  it('solves a very high rate without losing the bracket', () => {
    // $100 repaid by one $200 payment a month later: 100% a month, 1200% a year (single payment rules).
    expect(
      computeApr({ amount: 10_000, date: '2024-01-15' }, [{ amount: 20_000, date: '2024-02-15' }]),
    ).toBeCloseTo(1200, 8);
  });
});
