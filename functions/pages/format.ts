/**
 * The shopper's locale and how money, dates and rates read in it (ECMA-402 Intl). Amounts are
 * integer minor units; the decimal string handed to Intl.NumberFormat keeps every digit and the
 * ISO 4217 exponent (JPY 0, USD 2, KWD 3), so no float rounding is involved.
 */
import { type CurrencyCode, currencyExponent } from '../lib/money.ts';

const FALLBACK_LOCALE = 'en-US';

/** The first acceptable language of an Accept-Language header (RFC 9110 §12.5.4), canonicalized. */
export function localeOf(acceptLanguage: string | undefined): string {
  const ranked = (acceptLanguage ?? '')
    .split(',')
    .map((entry) => {
      const [tag = '', ...params] = entry.trim().split(';');
      const q = Number(
        params
          .find((p) => p.trim().startsWith('q='))
          ?.trim()
          .slice(2) ?? '1',
      );
      return { tag: tag.trim(), q: Number.isFinite(q) ? q : 0 };
    })
    .filter((e) => e.tag !== '' && e.tag !== '*' && e.q > 0)
    .sort((a, b) => b.q - a.q);
  for (const { tag } of ranked.slice(0, 8)) {
    try {
      const [canonical] = Intl.getCanonicalLocales(tag);
      if (canonical && Intl.NumberFormat.supportedLocalesOf([canonical]).length > 0) return canonical;
    } catch {
      // Not a BCP 47 tag: try the next one.
    }
  }
  return FALLBACK_LOCALE;
}

/** The decimal string of `minor` units in `currency` ("1234" USD -> "12.34", KWD -> "1.234"). */
export function decimalOf(minor: number, currency: CurrencyCode): string {
  const exponent = currencyExponent(currency);
  const sign = minor < 0 ? '-' : '';
  const digits = String(Math.abs(minor)).padStart(exponent + 1, '0');
  if (exponent === 0) return `${sign}${digits}`;
  return `${sign}${digits.slice(0, -exponent)}.${digits.slice(-exponent)}`;
}

/** `minor` units of `currency` as the shopper's locale writes them, with the currency's own exponent. */
export function formatAmount(minor: number, currency: CurrencyCode, locale: string): string {
  const exponent = currencyExponent(currency);
  return new Intl.NumberFormat(locale, {
    style: 'currency',
    currency,
    minimumFractionDigits: exponent,
    maximumFractionDigits: exponent,
  }).format(decimalOf(minor, currency) as unknown as number);
}

/** An APR given in percent (14.99) as a locale percentage with two decimals. */
export function formatApr(aprPercent: number, locale: string): string {
  return new Intl.NumberFormat(locale, {
    style: 'percent',
    minimumFractionDigits: 2,
    maximumFractionDigits: 2,
  }).format(aprPercent / 100);
}

/** A calendar date (YYYY-MM-DD, or an ISO instant) in the shopper's locale, read in UTC. */
export function formatDate(date: string, locale: string): string {
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeZone: 'UTC' }).format(
    new Date(date.length === 10 ? `${date}T00:00:00Z` : date),
  );
}
