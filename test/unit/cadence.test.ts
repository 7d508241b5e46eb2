import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { billingDate, firstPeriodOnOrAfter } from '../../functions/installments/terms.ts';

const months = (anchor: string, n: number) =>
  Array.from({ length: n }, (_, i) => billingDate(anchor, 'month', 1, i));

describe('billing dates are computed from the anchor, exact across month ends', () => {
  it('a Jan 31 monthly anchor: Feb 28 (Feb 29 in a leap year), Mar 31, Apr 30, May 31', () => {
    expect(months('2027-01-31', 5)).toEqual([
      '2027-01-31',
      '2027-02-28',
      '2027-03-31',
      '2027-04-30',
      '2027-05-31',
    ]);
    expect(months('2028-01-31', 4)).toEqual(['2028-01-31', '2028-02-29', '2028-03-31', '2028-04-30']);
  });

  it('weeks, multi-month and yearly cadences (Feb 29 yearly: Feb 28 in common years)', () => {
    expect([0, 1, 2].map((n) => billingDate('2027-12-25', 'week', 2, n))).toEqual([
      '2027-12-25',
      '2028-01-08',
      '2028-01-22',
    ]);
    expect([0, 1, 2].map((n) => billingDate('2027-08-31', 'month', 3, n))).toEqual([
      '2027-08-31',
      '2027-11-30',
      '2028-02-29',
    ]);
    expect([0, 1, 4].map((n) => billingDate('2028-02-29', 'year', 1, n))).toEqual([
      '2028-02-29',
      '2029-02-28',
      '2032-02-29',
    ]);
  });

  it('property: a monthly date is in the right month, never past the anchor day, and on it when the month has it', () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date('2000-01-01'), max: new Date('2090-12-31'), noInvalidDate: true }),
        fc.integer({ min: 0, max: 240 }),
        (at, n) => {
          const anchor = at.toISOString().slice(0, 10);
          const [y, m, d] = anchor.split('-').map(Number) as [number, number, number];
          const date = billingDate(anchor, 'month', 1, n);
          const [yy, mm, dd] = date.split('-').map(Number) as [number, number, number];
          expect(yy * 12 + mm).toBe(y * 12 + m + n);
          const lastDay = new Date(Date.UTC(yy, mm, 0)).getUTCDate();
          expect(dd).toBe(Math.min(d, lastDay));
        },
      ),
    );
  });

  it('a resumed subscription picks up at the first period dated on or after the day', () => {
    expect(firstPeriodOnOrAfter('2027-01-31', 'month', 1, 0, '2027-03-01')).toBe(2);
    expect(firstPeriodOnOrAfter('2027-01-31', 'month', 1, 0, '2027-03-31')).toBe(2);
    expect(firstPeriodOnOrAfter('2027-01-31', 'month', 1, 3, '2027-01-01')).toBe(3);
  });
});
