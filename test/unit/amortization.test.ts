import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { amortize, levelPayment, monthlyInterest } from '../../functions/installments/amortization.ts';
import { ApiError } from '../../functions/lib/errors.ts';

describe('numpy-financial ppmt/ipmt documentation example: $2,500 at 8.24% for 12 months', () => {
  // From the numpy_financial ppmt/ipmt docstring: the principal part of each of the 12 payments, in
  // cents (200.58, 201.96, ... 216.26). numpy splits the unrounded payment (217.7486...), so its twelve rounded figures sum to
  // 2,499.99; a schedule paid in whole cents (217.75) must sum to exactly 2,500.00, so later rows may
  // differ from numpy by up to 2 cents while the first five match exactly.
  const NUMPY_PPMT = [
    20_058, 20_196, 20_335, 20_474, 20_615, 20_756, 20_899, 21_042, 21_187, 21_332, 21_479, 21_626,
  ];
  const { rows, disclosure } = amortize(250_000, 824, 12);

  it('pays 217.75 a month', () => {
    expect(levelPayment(250_000, 824, 12)).toBe(21_775);
    expect(disclosure.payment).toBe(21_775);
    expect(rows.slice(0, 11).every((row) => row.payment === 21_775)).toBe(true);
  });

  it('reproduces the principal split', () => {
    expect(rows.slice(0, 5).map((row) => row.principal)).toEqual(NUMPY_PPMT.slice(0, 5));
    rows.forEach((row, index) => {
      expect(Math.abs(row.principal - (NUMPY_PPMT[index] ?? 0)), `row ${row.seq}`).toBeLessThanOrEqual(2);
    });
    expect(rows[0]).toEqual({
      seq: 1,
      payment: 21_775,
      interest: 1_717,
      principal: 20_058,
      balance: 229_942,
    });
  });

  it('adjusts the final payment so the balance ends at exactly 0', () => {
    expect(rows.at(-1)).toEqual({ seq: 12, payment: 21_772, interest: 148, principal: 21_624, balance: 0 });
    expect(rows.reduce((sum, row) => sum + row.principal, 0)).toBe(250_000);
  });

  it('discloses the Truth in Lending figures', () => {
    // numpy's total interest on the unrounded payment is 112.98; whole-cent payments give 112.97.
    expect(disclosure).toEqual({
      amountFinanced: 250_000,
      financeCharge: 11_297,
      totalOfPayments: 261_297,
      apr: 8.24,
      payment: 21_775,
    });
  });
});

describe('level payments', () => {
  it('$15,000 at 8% for 60 months pays 304.15', () => {
    expect(levelPayment(1_500_000, 800, 60)).toBe(30_415);
    const { rows, disclosure } = amortize(1_500_000, 800, 60);
    expect(rows.at(-1)?.balance).toBe(0);
    expect(disclosure.apr).toBe(8);
    expect(disclosure.totalOfPayments).toBe(disclosure.amountFinanced + disclosure.financeCharge);
  });

  it('charges interest half up, exactly', () => {
    // 250000 * 824 / 120000 = 1716.67 -> 1717; 150 * 800 / 120000 = 1.0 exactly; 75 * 800/120000 = 0.5 -> 1.
    expect(monthlyInterest(250_000, 824)).toBe(1_717);
    expect(monthlyInterest(150, 800)).toBe(1);
    expect(monthlyInterest(75, 800)).toBe(1);
    expect(monthlyInterest(74, 800)).toBe(0);
  });

  it('splits 0% plans with the remainder on the first payment', () => {
    const { rows, disclosure } = amortize(100_001, 0, 3);
    expect(rows.map((row) => row.payment)).toEqual([33_335, 33_333, 33_333]);
    expect(rows.map((row) => row.interest)).toEqual([0, 0, 0]);
    expect(disclosure).toEqual({
      amountFinanced: 100_001,
      financeCharge: 0,
      totalOfPayments: 100_001,
      apr: 0,
      payment: 33_333,
    });
  });

  it('settles a tiny principal early instead of overpaying', () => {
    const { rows } = amortize(15, 3_600, 36);
    expect(rows.every((row) => row.payment >= 0 && row.balance >= 0 && row.principal >= 0)).toBe(true);
    expect(rows.reduce((sum, row) => sum + row.principal, 0)).toBe(15);
    expect(rows.at(-1)?.balance).toBe(0);
  });

  it('rejects bad terms with 422 naming the field', () => {
    for (const [apr, months, param] of [
      [-1, 12, 'aprBps'],
      [8.5, 12, 'aprBps'],
      [800, 0, 'termMonths'],
      [800, 1.5, 'termMonths'],
    ] as const) {
      try {
        amortize(10_000, apr, months);
        expect.unreachable();
      } catch (error) {
        expect(error).toBeInstanceOf(ApiError);
        expect(error).toMatchObject({ status: 422, param });
      }
    }
    expect(() => amortize(100.5, 800, 12)).toThrow(expect.objectContaining({ code: 'invalid_amount' }));
  });
});

describe('properties', () => {
  it('principal sums exactly, balance ends at 0, no payment is 0, only the last payment differs', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000_000_000 }),
        fc.integer({ min: 0, max: 3_600 }),
        fc.integer({ min: 3, max: 36 }),
        (principal, aprBps, months) => {
          const { rows, disclosure } = amortize(principal, aprBps, months);
          // Never a zero payment (ADR 0011): a tiny principal runs over fewer months, never more.
          expect(rows.length).toBeGreaterThanOrEqual(1);
          expect(rows.length).toBeLessThanOrEqual(months);
          if (principal >= months * 100) expect(rows).toHaveLength(months);
          for (const row of rows) expect(row.payment).toBeGreaterThan(0);
          expect(rows.reduce((sum, row) => sum + row.principal, 0)).toBe(principal);
          expect(rows.at(-1)?.balance).toBe(0);
          let balance = principal;
          for (const row of rows) {
            expect(row.payment).toBe(row.interest + row.principal);
            expect(row.principal).toBeGreaterThanOrEqual(0);
            expect(row.interest).toBeGreaterThanOrEqual(0);
            balance -= row.principal;
            expect(row.balance).toBe(balance);
          }
          expect(disclosure.totalOfPayments).toBe(rows.reduce((sum, row) => sum + row.payment, 0));
          expect(disclosure.financeCharge).toBe(disclosure.totalOfPayments - principal);
          if (aprBps > 0) {
            // Every payment but the last is the level payment, unless a tiny principal settled early.
            const level = disclosure.payment;
            for (const row of rows.slice(0, -1))
              expect(row.payment === level || row.balance === 0).toBe(true);
          }
        },
      ),
    );
  });

  it('the disclosed APR is the nominal APR to within the 1/8-point Reg Z tolerance for real amounts', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 10_000, max: 10_000_000_000 }),
        fc.integer({ min: 0, max: 3_600 }),
        fc.integer({ min: 3, max: 36 }),
        (principal, aprBps, months) => {
          const { disclosure } = amortize(principal, aprBps, months);
          expect(Math.abs(disclosure.apr - aprBps / 100)).toBeLessThanOrEqual(0.125);
        },
      ),
    );
  });
});
