import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fixedClock } from '../../functions/lib/clock.ts';
import { ApiError } from '../../functions/lib/errors.ts';
import {
  type CardInput,
  findPanLikeRuns,
  fingerprint,
  luhnValid,
  validateCard,
} from '../../functions/vault/card.ts';

const NOW = fixedClock('2026-03-15T12:00:00.000Z').now();
const card = (number: string, overrides: Partial<CardInput> = {}): CardInput => ({
  number,
  expMonth: 12,
  expYear: 2030,
  cvc: '123',
  ...overrides,
});

/** Runs validateCard and returns the 422 it threw (failing the test if it did not). */
function rejection(input: CardInput, now: Date = NOW): ApiError {
  try {
    validateCard(input, now);
  } catch (error) {
    expect(error).toBeInstanceOf(ApiError);
    return error as ApiError;
  }
  throw new Error('expected validateCard to throw');
}

/** Everything a caller could log or serialize about an error must be free of the number. */
function expectNoPan(error: ApiError, number: string): void {
  const digits = number.replace(/[^0-9]/g, '');
  const surfaces = [error.message, String(error), JSON.stringify(error.toBody('req_1')), error.stack ?? ''];
  for (const text of surfaces) {
    if (number.length >= 4) expect(text).not.toContain(number);
    if (digits.length >= 6) expect(text).not.toContain(digits);
  }
}

describe('validateCard: the well-known test numbers', () => {
  it.each([
    ['4242424242424242', 'visa'],
    ['5555555555554444', 'mastercard'],
    ['2223003122003222', 'mastercard'],
    ['378282246310005', 'amex'],
    ['6011111111111117', 'discover'],
    ['3056930009020004', 'diners'],
    ['3566002020360505', 'jcb'],
    ['6200000000000005', 'unionpay'],
  ] as const)('%s is a valid %s', (number, brand) => {
    const cvc = brand === 'amex' ? '1234' : '123';
    expect(validateCard(card(number, { cvc }), NOW)).toEqual({
      brand,
      last4: number.slice(-4),
      bin: number.slice(0, 6),
      expMonth: 12,
      expYear: 2030,
    });
  });

  it('knows the Mastercard 2-series from 2221 to 2720, and not beyond', () => {
    expect(validateCard(card('2221000000000009'), NOW).brand).toBe('mastercard');
    expect(validateCard(card('2720990000000007'), NOW).brand).toBe('mastercard');
    // 2721… and 2220… pass Luhn but belong to no brand.
    expect(rejection(card('2721000000000004'))).toMatchObject({ status: 422, param: 'number' });
    expect(luhnValid('2220990000000007')).toBe(false);
    expect(rejection(card('2220000000000000'))).toMatchObject({ status: 422, param: 'number' });
  });

  it('follows card-validator on UnionPay: no Luhn check digit is required', () => {
    expect(luhnValid('6200000000000006')).toBe(false);
    expect(validateCard(card('6200000000000006'), NOW).brand).toBe('unionpay');
  });
});

describe('validateCard: invalid numbers are 422 on param "number", never echoing it', () => {
  it.each([
    ['a bad Luhn digit', '4242424242424241', 'invalid_number'],
    ['a Mastercard one digit short', '555555555555444', 'invalid_number'],
    ['an Amex one digit long', '3782822463100055', 'invalid_number'],
    ['letters', '4242abcd42424242', 'invalid_number'],
    ['spaces', '4242 4242 4242 4242', 'invalid_number'],
    ['dashes', '4242-4242-4242-4242', 'invalid_number'],
    ['a 25-digit string', '4242424242424242424242424', 'invalid_number'],
    ['an empty string', '', 'invalid_number'],
    ['an unknown IIN', '9999999999999995', 'invalid_number'],
    ['an unsupported brand (Maestro)', '6759649826438453', 'card_brand_unsupported'],
  ])('rejects %s', (_label, number, code) => {
    const error = rejection(card(number));
    expect(error).toMatchObject({ status: 422, code, param: 'number', type: 'invalid_request_error' });
    expectNoPan(error, number);
  });

  it('rejects a number that is not a string', () => {
    const error = rejection(card(4242424242424242 as unknown as string));
    expect(error).toMatchObject({ status: 422, param: 'number' });
    expectNoPan(error, '4242424242424242');
  });

  it('never puts the number in any error, whatever the digits (property)', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[0-9]{12,19}$/),
        fc.constantFrom('1', '123', '1234', 'abc'),
        (number, cvc) => {
          try {
            validateCard(card(number, { cvc }), NOW);
          } catch (error) {
            expect(error).toBeInstanceOf(ApiError);
            expectNoPan(error as ApiError, number);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('validateCard: expiry', () => {
  it('is good through the last instant of the expiry month (UTC)', () => {
    const input = card('4242424242424242', { expMonth: 3, expYear: 2026 });
    expect(validateCard(input, fixedClock('2026-03-31T23:59:59.999Z').now()).expMonth).toBe(3);
    expect(rejection(input, fixedClock('2026-04-01T00:00:00.000Z').now())).toMatchObject({
      status: 422,
      code: 'expired_card',
      param: 'expMonth',
    });
  });

  it('rejects an expired card: an earlier month this year on expMonth, an earlier year on expYear', () => {
    expect(rejection(card('4242424242424242', { expMonth: 2, expYear: 2026 }))).toMatchObject({
      code: 'expired_card',
      param: 'expMonth',
    });
    expect(rejection(card('4242424242424242', { expMonth: 12, expYear: 2025 }))).toMatchObject({
      status: 422,
      code: 'expired_card',
      param: 'expYear',
    });
  });

  it('accepts a two-digit year and numeric strings', () => {
    expect(validateCard(card('4242424242424242', { expMonth: '07', expYear: '28' }), NOW)).toMatchObject({
      expMonth: 7,
      expYear: 2028,
    });
  });

  it.each([0, 13, 1.5, '1x', -1])('rejects expiry month %s', (expMonth) => {
    expect(rejection(card('4242424242424242', { expMonth }))).toMatchObject({
      status: 422,
      code: 'invalid_expiry_month',
      param: 'expMonth',
    });
  });

  it.each([2047, 'twenty', 1999, 20301])('rejects expiry year %s', (expYear) => {
    expect(rejection(card('4242424242424242', { expYear }))).toMatchObject({
      status: 422,
      code: 'invalid_expiry_year',
      param: 'expYear',
    });
  });
});

describe('validateCard: CVC length by brand', () => {
  it('wants 4 digits for Amex and 3 for the others', () => {
    expect(rejection(card('378282246310005', { cvc: '123' }))).toMatchObject({
      status: 422,
      code: 'invalid_cvc',
      param: 'cvc',
    });
    expect(rejection(card('4242424242424242', { cvc: '1234' }))).toMatchObject({
      code: 'invalid_cvc',
      param: 'cvc',
    });
    expect(validateCard(card('378282246310005', { cvc: '1234' }), NOW).brand).toBe('amex');
  });

  it.each(['12', '12a', ' 123', ''])('rejects CVC %j', (cvc) => {
    expect(rejection(card('4242424242424242', { cvc }))).toMatchObject({ code: 'invalid_cvc', param: 'cvc' });
  });

  it('does not return the CVC', () => {
    expect(Object.values(validateCard(card('4242424242424242', { cvc: '987' }), NOW))).not.toContain('987');
  });
});

describe('fingerprint', () => {
  it('is HMAC-SHA-256 hex under the secret: stable per card, different per secret and card', () => {
    const a = fingerprint('4242424242424242', 'secret-a');
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(a).toBe(createHmac('sha256', 'secret-a').update('4242424242424242').digest('hex'));
    expect(fingerprint('4242424242424242', 'secret-a')).toBe(a);
    expect(fingerprint('4242424242424242', 'secret-b')).not.toBe(a);
    expect(fingerprint('5555555555554444', 'secret-a')).not.toBe(a);
    // Not a plain hash: without the secret, the PAN's SHA-256 does not match.
    expect(a).not.toBe(createHmac('sha256', '').update('4242424242424242').digest('hex'));
  });
});

describe('findPanLikeRuns', () => {
  it('finds Luhn-valid 13–19 digit runs, plain or in card-style groups', () => {
    const text = [
      'visa=4242424242424242;',
      'amex "378282246310005"',
      'spaced 5555 5555 5555 4444 and dashed 3782-822463-10005',
      'bad luhn 4242424242424241',
      'too short 424242424242 (12) too long 42424242424242424242 (20)',
      'a date 2026-03-15 and a phone 555-123-4567',
    ].join('\n');
    expect(findPanLikeRuns(text)).toEqual([
      '4242424242424242',
      '378282246310005',
      '5555555555554444',
      '378282246310005',
    ]);
  });

  it('finds every test PAN inside JSON and finds nothing in PAN-free text', () => {
    const pans = [
      '6011111111111117',
      '3056930009020004',
      '3566002020360505',
      '6200000000000005',
      '2223003122003222',
    ];
    expect(findPanLikeRuns(JSON.stringify({ cards: pans }))).toEqual(pans);
    expect(findPanLikeRuns('{"last4":"4242","brand":"visa","id":"tok_01J0000000000000000000000"}')).toEqual(
      [],
    );
  });
});
