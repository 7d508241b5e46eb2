import { describe, expect, it } from 'vitest';
import { eligiblePlans } from '../../functions/checkout/session.ts';
import { DEFAULT_PLAN_CATALOGUE, type PlanCatalogue } from '../../functions/installments/plans.ts';
import { fixedClock } from '../../functions/lib/clock.ts';
import { sweepInstant } from '../../functions/orders/jobs.ts';
import { thrownApiError } from '../support/errors.ts';

const apiError = thrownApiError;

describe('eligiblePlans', () => {
  it('keeps the plans whose limits admit the amount, in catalogue order', () => {
    expect(eligiblePlans(40_000, 'USD', undefined)).toEqual(['pay_in_4', 'pay_in_30', 'monthly']);
    expect(eligiblePlans(1_500, 'USD', undefined)).toEqual(['pay_in_30']);
    expect(eligiblePlans(500_000, 'USD', undefined)).toEqual(['monthly']);
    // Limits are per currency: JPY has no minor unit.
    expect(eligiblePlans(5_000, 'JPY', undefined)).toEqual(['pay_in_30']);
    expect(eligiblePlans(40_000, 'USD', ['monthly', 'pay_in_4'])).toEqual(['monthly', 'pay_in_4']);
  });

  it('422 when no plan admits the amount, or a plan asked for is not offered', () => {
    expect(apiError(() => eligiblePlans(999, 'USD', undefined))).toMatchObject({
      status: 422,
      code: 'amount_out_of_range',
      param: 'amount',
    });
    expect(apiError(() => eligiblePlans(2_000_000, 'USD', ['pay_in_4']))).toMatchObject({
      code: 'amount_out_of_range',
    });
    expect(apiError(() => eligiblePlans(5_000, 'USD', ['subscription']))).toMatchObject({
      status: 422,
      code: 'plan_not_offered',
      param: 'plans',
    });
  });

  it('422 currency_not_offered when the catalogue has no limits for the currency', () => {
    const usdOnly: PlanCatalogue = {
      ...DEFAULT_PLAN_CATALOGUE,
      plans: DEFAULT_PLAN_CATALOGUE.plans.map((plan) => ({
        ...plan,
        limits: { USD: { min: 100, max: 1_000 } },
      })),
    };
    expect(apiError(() => eligiblePlans(500, 'EUR', undefined, usdOnly))).toMatchObject({
      code: 'currency_not_offered',
      param: 'currency',
    });
  });
});

describe('the expiry sweep instant', () => {
  const clock = fixedClock('2026-06-10T14:30:00Z');
  it('is now without asOf or with today, the end of another day, or an exact instant', () => {
    expect(sweepInstant(undefined, clock).toISOString()).toBe('2026-06-10T14:30:00.000Z');
    expect(sweepInstant('2026-06-10', clock).toISOString()).toBe('2026-06-10T14:30:00.000Z');
    expect(sweepInstant('2026-06-12', clock).toISOString()).toBe('2026-06-12T23:59:59.999Z');
    expect(sweepInstant('2026-06-11T01:00:00Z', clock).toISOString()).toBe('2026-06-11T01:00:00.000Z');
    expect(() => sweepInstant('soon', clock)).toThrow(/asOf/);
  });
});
