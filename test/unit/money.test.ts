import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../../functions/lib/errors.ts';
import {
  allocate,
  assertMinorUnits,
  CURRENCY_CODES,
  currencyExponent,
  formatMoney,
  fromUsd,
  MoneySchema,
  NonNegativeMoneySchema,
  toMinorUnits,
  usdMinorEquivalent,
} from '../../functions/lib/money.ts';
import { thrownApiError } from '../support/errors.ts';

const thrown = thrownApiError;

describe('currencyExponent', () => {
  it('follows ISO 4217', () => {
    for (const code of ['USD', 'EUR', 'GBP', 'CAD', 'AUD', 'NZD', 'SEK', 'NOK', 'DKK', 'CHF', 'PLN']) {
      expect(currencyExponent(code), code).toBe(2);
    }
    for (const code of ['JPY', 'KRW']) expect(currencyExponent(code), code).toBe(0);
    for (const code of ['KWD', 'BHD', 'JOD', 'OMR', 'TND']) expect(currencyExponent(code), code).toBe(3);
  });

  it('rejects unknown, lowercase and inherited names with a 400 naming the param', () => {
    for (const code of ['XXX', 'usd', 'toString', '']) {
      const error = thrown(() => currencyExponent(code));
      expect(error).toMatchObject({ status: 400, code: 'currency_unsupported', param: 'currency' });
    }
    expect(thrown(() => currencyExponent('ZZZ', 'refund.currency')).param).toBe('refund.currency');
  });
});

describe('MoneySchema', () => {
  const issues = (value: unknown) => {
    const result = MoneySchema.safeParse(value);
    return result.success
      ? []
      : result.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
  };

  it('accepts positive integer minor units in a supported currency', () => {
    expect(MoneySchema.parse({ amount: 1050, currency: 'USD' })).toEqual({ amount: 1050, currency: 'USD' });
    expect(MoneySchema.parse({ amount: Number.MAX_SAFE_INTEGER, currency: 'JPY' }).amount).toBe(
      Number.MAX_SAFE_INTEGER,
    );
  });

  it('rejects floats, strings and non-finite numbers with a message about minor units', () => {
    for (const amount of [10.5, '1050', Number.NaN, Number.POSITIVE_INFINITY, null]) {
      expect(issues({ amount, currency: 'USD' })).toEqual([
        { path: 'amount', message: expect.stringContaining('integer number of minor units') },
      ]);
    }
  });

  it('rejects zero and negatives, and unsafe integers', () => {
    expect(issues({ amount: 0, currency: 'USD' })).toEqual([
      { path: 'amount', message: 'amount must be at least 1 minor unit' },
    ]);
    expect(issues({ amount: -5, currency: 'USD' })[0]?.path).toBe('amount');
    expect(issues({ amount: 2 ** 53, currency: 'USD' })).toEqual([
      { path: 'amount', message: 'amount is outside the safe integer range' },
    ]);
  });

  it('rejects unsupported or lowercase currencies, listing the supported ones', () => {
    for (const currency of ['usd', 'XXX', 1, undefined]) {
      expect(issues({ amount: 1, currency })).toEqual([
        { path: 'currency', message: expect.stringContaining('USD, EUR') },
      ]);
    }
  });

  it('NonNegativeMoneySchema allows zero but not negatives', () => {
    expect(NonNegativeMoneySchema.safeParse({ amount: 0, currency: 'KWD' }).success).toBe(true);
    expect(NonNegativeMoneySchema.safeParse({ amount: -1, currency: 'KWD' }).success).toBe(false);
  });
});

describe('assertMinorUnits', () => {
  it('passes safe non-negative integers', () => {
    expect(() => assertMinorUnits(1, 'amount')).not.toThrow();
    expect(() => assertMinorUnits(0, 'amount', { allowZero: true })).not.toThrow();
  });

  it('throws 400 invalid_amount for malformed or negative values, naming the param', () => {
    for (const value of [1.5, '1', Number.NaN, 2 ** 53, -1, 10n]) {
      expect(thrown(() => assertMinorUnits(value, 'capture.amount'))).toMatchObject({
        status: 400,
        code: 'invalid_amount',
        param: 'capture.amount',
      });
    }
  });

  it('throws 422 amount_too_small for a zero that must be positive', () => {
    expect(thrown(() => assertMinorUnits(0, 'amount'))).toMatchObject({
      status: 422,
      code: 'amount_too_small',
    });
  });
});

describe('allocate', () => {
  it('puts the whole remainder on the first part', () => {
    expect(allocate(10, 3)).toEqual([4, 3, 3]);
    expect(allocate(1003, 4)).toEqual([253, 250, 250, 250]);
    expect(allocate(3, 4)).toEqual([3, 0, 0, 0]);
    expect(allocate(0, 4)).toEqual([0, 0, 0, 0]);
    expect(allocate(7, 1)).toEqual([7]);
    expect(allocate(Number.MAX_SAFE_INTEGER, 4)).toEqual([
      2251799813685250, 2251799813685247, 2251799813685247, 2251799813685247,
    ]);
  });

  it('rejects invalid totals and part counts', () => {
    expect(() => allocate(10.5, 2)).toThrow(ApiError);
    expect(() => allocate(-1, 2)).toThrow(ApiError);
    expect(() => allocate(10, 0)).toThrow(RangeError);
    expect(() => allocate(10, 1.5)).toThrow(RangeError);
  });

  it('property: parts sum exactly, the tail is equal, the first carries exactly the remainder', () => {
    fc.assert(
      fc.property(fc.maxSafeNat(), fc.integer({ min: 1, max: 64 }), (total, n) => {
        const parts = allocate(total, n);
        const sum = parts.reduce((acc, part) => acc + BigInt(part), 0n);
        expect(parts).toHaveLength(n);
        expect(sum).toBe(BigInt(total));
        const [first = 0, ...rest] = parts;
        const base = Math.floor(total / n);
        for (const part of rest) expect(part).toBe(rest[0]);
        expect(BigInt(first) - BigInt(rest[0] ?? first)).toBe(BigInt(total) % BigInt(n));
        expect(first - (rest[0] ?? first)).toBeLessThan(n);
        expect(Math.abs((rest[0] ?? first) - base)).toBeLessThanOrEqual(1);
      }),
    );
  });
});

describe('formatMoney', () => {
  it('formats by the currency exponent with grouping', () => {
    expect(formatMoney(123456, 'USD')).toBe('USD 1,234.56');
    expect(formatMoney(5, 'USD')).toBe('USD 0.05');
    expect(formatMoney(0, 'EUR')).toBe('EUR 0.00');
    expect(formatMoney(1234, 'JPY')).toBe('JPY 1,234');
    expect(formatMoney(1234, 'KWD')).toBe('KWD 1.234');
    expect(formatMoney(7, 'TND')).toBe('TND 0.007');
    expect(formatMoney(-5, 'USD')).toBe('USD -0.05');
    expect(formatMoney(Number.MAX_SAFE_INTEGER, 'USD')).toBe('USD 90,071,992,547,409.91');
    expect(formatMoney(10n ** 20n, 'KRW')).toBe('KRW 100,000,000,000,000,000,000');
  });

  it('rejects unsupported currencies and non-integers', () => {
    expect(() => formatMoney(1, 'XXX')).toThrow(ApiError);
    expect(() => formatMoney(1.5, 'USD')).toThrow(RangeError);
  });

  it('property: round-trips through toMinorUnits for every currency', () => {
    fc.assert(
      fc.property(fc.maxSafeNat(), fc.constantFrom(...CURRENCY_CODES), (amount, currency) => {
        const text = formatMoney(amount, currency);
        const decimal = text.slice(currency.length + 1).replaceAll(',', '');
        expect(toMinorUnits(decimal, currency)).toBe(amount);
      }),
    );
  });
});

describe('toMinorUnits', () => {
  it('parses plain decimals exactly', () => {
    expect(toMinorUnits('10.5', 'USD')).toBe(1050);
    expect(toMinorUnits('0.07', 'USD')).toBe(7);
    expect(toMinorUnits('1500', 'JPY')).toBe(1500);
    expect(toMinorUnits('1.5', 'KWD')).toBe(1500);
  });

  it('rejects extra precision, signs, exponents and unsafe values rather than rounding', () => {
    for (const [text, currency] of [
      ['10.555', 'USD'],
      ['1.5', 'JPY'],
      ['-1', 'USD'],
      ['1e3', 'USD'],
      ['', 'USD'],
      ['90071992547409.92', 'USD'],
    ] as const) {
      expect(
        thrown(() => toMinorUnits(text, currency)),
        text,
      ).toMatchObject({ status: 400, code: 'invalid_amount' });
    }
  });
});

describe('usdMinorEquivalent (risk thresholds in every currency)', () => {
  it('maps USD 500.00 in JPY, USD and KWD (exponents 0, 2, 3) to 50,000 USD minor units, one minor unit less below it', () => {
    expect([fromUsd(500, 'JPY'), fromUsd(500, 'USD'), fromUsd(500, 'KWD')]).toEqual([
      75_000, 50_000, 150_000,
    ]);
    for (const currency of ['JPY', 'USD', 'KWD'] as const) {
      expect(usdMinorEquivalent(fromUsd(500, currency), currency)).toBe(50_000);
      expect(usdMinorEquivalent(fromUsd(500, currency) - 1, currency)).toBe(49_999);
    }
  });

  it('is the inverse of fromUsd on whole dollars, rounding down in between, in every supported currency', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...CURRENCY_CODES),
        fc.integer({ min: 0, max: 1_000_000 }),
        (currency, usd) => {
          const amount = fromUsd(usd, currency);
          expect(usdMinorEquivalent(amount, currency)).toBe(usd * 100);
          if (amount > 0) expect(usdMinorEquivalent(amount - 1, currency)).toBeLessThan(usd * 100);
        },
      ),
    );
  });
});
