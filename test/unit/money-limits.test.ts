import { afterEach, describe, expect, it } from 'vitest';
import { checkoutConfig } from '../../functions/checkout/policy.ts';
import { DEFAULT_PLAN_CATALOGUE, nextLateFee } from '../../functions/installments/terms.ts';
import { CURRENCY_CODES, fromUsd } from '../../functions/lib/money.ts';
import { moneyLimitFromEnv } from '../../functions/lib/money-limits.ts';

// Issue 11: every money threshold in config is per currency or scaled by the catalogue's table.
describe('money limits per currency (exponents 0, 2, 3)', () => {
  afterEach(() => {
    delete process.env.CHECKOUT_STEP_UP_THRESHOLD_USD;
    delete process.env.CHECKOUT_STEP_UP_THRESHOLD_BY_CURRENCY;
  });

  it('the checkout step-up threshold is USD 500 in every currency, not 50,000 minor units', () => {
    const threshold = moneyLimitFromEnv('CHECKOUT_STEP_UP_THRESHOLD', 500, {});
    expect(threshold('USD')).toBe(50_000); // USD 500.00
    expect(threshold('JPY')).toBe(75_000); // JPY 75,000
    expect(threshold('KWD')).toBe(150_000); // KWD 150.000
    expect(threshold('BHD')).toBe(200_000); // BHD 200.000
    // The example: JPY 60,000 (~USD 400) no longer needs a step-up, like USD 400.00.
    expect(60_000 > threshold('JPY')).toBe(false);
    expect(40_000 > threshold('USD')).toBe(false);
    // and KWD 160.000 (~USD 530) does, like USD 530.00.
    expect(160_000 > threshold('KWD')).toBe(true);
  });

  it('checkoutConfig reads USD and per-currency overrides from the environment', () => {
    const limit = moneyLimitFromEnv('CHECKOUT_STEP_UP_THRESHOLD', 500, {
      CHECKOUT_STEP_UP_THRESHOLD_USD: '100',
      CHECKOUT_STEP_UP_THRESHOLD_BY_CURRENCY: '{"JPY":20000}',
    });
    expect(limit('USD')).toBe(10_000);
    expect(limit('JPY')).toBe(20_000);
    expect(limit('KWD')).toBe(30_000);
    expect(checkoutConfig().stepUpThreshold('JPY')).toBe(75_000);
  });

  it('refuses a malformed limit at start-up, naming the variable', () => {
    expect(() => moneyLimitFromEnv('X', 1, { X_USD: '1.5' })).toThrow(/X_USD/);
    expect(() => moneyLimitFromEnv('X', 1, { X_BY_CURRENCY: '{"XXX":1}' })).toThrow(/X_BY_CURRENCY/);
    expect(() => moneyLimitFromEnv('X', 1, { X_BY_CURRENCY: 'nope' })).toThrow(/X_BY_CURRENCY/);
  });

  it('plan limits and late fees use the same table', () => {
    const payIn4 = DEFAULT_PLAN_CATALOGUE.plans.find((p) => p.id === 'pay_in_4');
    for (const code of CURRENCY_CODES) {
      expect(payIn4?.limits[code]).toEqual({ min: fromUsd(35, code), max: fromUsd(2_000, code) });
      expect(DEFAULT_PLAN_CATALOGUE.fees.lateFee[code]).toBe(fromUsd(7, code));
    }
    expect(nextLateFee(1_000_000, 'JPY', 0)).toBe(1_050);
    expect(nextLateFee(1_000_000, 'KWD', 0)).toBe(2_100);
    expect(nextLateFee(1_000_000, 'USD', 0)).toBe(700);
  });
});
