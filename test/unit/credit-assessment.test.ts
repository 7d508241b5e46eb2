import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assessCredit, type CreditInput } from '../../functions/credit/assessment.ts';
import { creditLimits } from '../../functions/credit/policy.ts';
import { fromUsd } from '../../functions/lib/money.ts';

const clean = { paidOnTime: 6, paidLate: 0, failed: 0, ordersInArrears: 0 };
const none = { paidOnTime: 0, paidLate: 0, failed: 0, ordersInArrears: 0 };
const base: CreditInput = {
  amount: 100_000,
  currency: 'USD',
  months: 12,
  monthlyIncome: 400_000,
  monthlyObligations: 150_000,
  history: clean,
};
const assess = (over: Partial<CreditInput>) => assessCredit({ ...base, ...over }, creditLimits());

describe('credit assessment (deterministic)', () => {
  it('approves what is affordable with a clean history', () => {
    // disposable 2,500.00 -> 40% = 1,000.00 a month x 12 = 12,000.00 >= 1,000.00 asked
    expect(assess({})).toEqual({
      decision: 'approved',
      limit: 100_000,
      reasons: ['affordable', 'good_repayment_history'],
    });
  });

  it('counter-offers the affordable amount, and the thin-file cap without a history', () => {
    expect(assess({ amount: 2_000_000 })).toEqual({
      decision: 'counter_offer',
      limit: 1_000_000,
      reasons: ['good_repayment_history'],
    });
    expect(assess({ amount: 1_300_000, months: 12 })).toMatchObject({
      decision: 'counter_offer',
      limit: 1_000_000,
    });
    expect(assess({ amount: 500_000, history: none })).toEqual({
      decision: 'counter_offer',
      limit: 100_000,
      reasons: ['limited_repayment_history'],
    });
    expect(assess({ amount: 300_000, monthlyIncome: 160_000, months: 3 })).toEqual({
      decision: 'counter_offer',
      limit: 12_000,
      reasons: ['affordability'],
    });
  });

  it('declines with the reason: arrears, more failed than paid, no disposable income, too little to offer', () => {
    expect(assess({ history: { ...clean, ordersInArrears: 1 } })).toEqual({
      decision: 'declined',
      limit: 0,
      reasons: ['order_in_arrears'],
    });
    expect(assess({ history: { ...none, failed: 2, paidOnTime: 1 } }).reasons).toEqual([
      'poor_repayment_history',
    ]);
    expect(assess({ monthlyObligations: 400_000 }).reasons).toEqual(['no_disposable_income']);
    expect(assess({ monthlyIncome: 151_000, months: 3 })).toEqual({
      decision: 'declined',
      limit: 0,
      reasons: ['insufficient_affordability'],
    });
    expect(assess({ history: { ...clean, paidLate: 1 }, amount: 500_000 }).reasons).toEqual([
      'late_or_missed_payments',
    ]);
  });

  it('scales its limits per currency (exponents 0, 2, 3)', () => {
    for (const currency of ['JPY', 'USD', 'KWD'] as const) {
      const result = assess({
        currency,
        amount: fromUsd(5_000, currency),
        monthlyIncome: fromUsd(100_000, currency),
        history: none,
      });
      expect(result).toMatchObject({ decision: 'counter_offer', limit: fromUsd(1_000, currency) });
    }
  });

  it('is a pure function of its inputs', () => {
    fc.assert(
      fc.property(
        fc.record({
          amount: fc.integer({ min: 1, max: 10_000_000 }),
          months: fc.integer({ min: 3, max: 36 }),
          monthlyIncome: fc.integer({ min: 0, max: 10_000_000 }),
          monthlyObligations: fc.integer({ min: 0, max: 10_000_000 }),
          paidOnTime: fc.nat(20),
          paidLate: fc.nat(5),
          failed: fc.nat(5),
          ordersInArrears: fc.nat(2),
        }),
        ({ paidOnTime, paidLate, failed, ordersInArrears, ...rest }) => {
          const input = {
            ...rest,
            currency: 'USD' as const,
            history: { paidOnTime, paidLate, failed, ordersInArrears },
          };
          const first = assessCredit(input, creditLimits());
          expect(assessCredit(structuredClone(input), creditLimits())).toEqual(first);
          expect(Number.isSafeInteger(first.limit)).toBe(true);
          if (first.decision === 'approved') expect(first.limit).toBe(input.amount);
          if (first.decision === 'counter_offer') expect(first.limit).toBeLessThan(input.amount);
          if (first.decision === 'declined') expect(first.limit).toBe(0);
          expect(first.reasons.length).toBeGreaterThan(0);
        },
      ),
    );
  });
});
