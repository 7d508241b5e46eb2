import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CURRENCY_CODES, currencyExponent } from '../../functions/lib/money.ts';
import { decimalOf, formatAmount, formatApr, localeOf } from '../../functions/pages/format.ts';
import { html } from '../../functions/pages/html.ts';

describe('pages: money in the shopper locale', () => {
  it('keeps the ISO 4217 exponent: JPY none, USD two, KWD three', () => {
    expect(formatAmount(60_000, 'JPY', 'en-US')).toBe('¥60,000');
    expect(formatAmount(40_001, 'USD', 'en-US')).toBe('$400.01');
    expect(formatAmount(123_456, 'KWD', 'en-US')).toBe('KWD\u00a0123.456');
    expect(formatAmount(123_456, 'KWD', 'de-DE')).toBe('123,456\u00a0KWD');
    expect(formatAmount(5, 'USD', 'de-DE')).toBe('0,05\u00a0$');
    expect(formatApr(14.99, 'en-US')).toBe('14.99%');
  });

  it('writes every minor unit exactly, whatever the amount (no float rounding)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...CURRENCY_CODES),
        fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
        (currency, minor) => {
          const decimal = decimalOf(minor, currency);
          const exponent = currencyExponent(currency);
          expect(decimal.replace('.', '')).toBe(String(minor).padStart(exponent + 1, '0'));
          expect(decimal.split('.')[1]?.length ?? 0).toBe(exponent);
        },
      ),
    );
  });

  it('reads the first supported language of Accept-Language, by weight, else en-US', () => {
    expect(localeOf('de-DE,de;q=0.9,en;q=0.8')).toBe('de-DE');
    expect(localeOf('en;q=0.2, ja-JP;q=0.9')).toBe('ja-JP');
    expect(localeOf('@@@, *')).toBe('en-US');
    expect(localeOf(undefined)).toBe('en-US');
  });
});

describe('pages: html template', () => {
  it('escapes every interpolated value, keeps markup built by the template', () => {
    const evil = `"><script>alert('x')</script>&`;
    const out = html`<p title="${evil}">${evil}${html`<b>${evil}</b>`}</p>`.text;
    expect(out).not.toContain('<script>');
    expect(out).toContain('&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;');
    expect(out).toContain('<b>&quot;');
    expect(html`${[1, 'a<', null, undefined, false]}`.text).toBe('1a&lt;');
  });
});
