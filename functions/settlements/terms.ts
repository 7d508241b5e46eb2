/**
 * A merchant's settlement terms: its fee (a rate in basis points of the captured amount plus a fixed
 * part per currency, in minor units) and the time zone its business day, and so its payout, follows.
 * Terms come from configuration (`SETTLEMENT_TERMS`, JSON): a `default` entry and optional entries per
 * merchant id, each overriding the default field by field. The fee arithmetic and its rounding are
 * recorded in docs/adr/0020-merchant-ledger.md.
 */
import * as z from 'zod';
import { config } from '../lib/config.ts';

const TermsSchema = z.strictObject({
  feeBps: z.number().int().min(0).max(10_000),
  feeFixed: z.record(z.string().regex(/^[A-Z]{3}$/), z.number().int().min(0)),
  timeZone: z.string().refine(isTimeZone, 'an IANA time zone'),
});
export type SettlementTerms = z.infer<typeof TermsSchema>;

const TermsConfig = z.record(z.string(), TermsSchema.partial());

/** 2.9% + 30 minor units in the two-decimal currencies listed; business days in UTC. */
export const DEFAULT_TERMS: SettlementTerms = {
  feeBps: 290,
  feeFixed: { USD: 30, EUR: 25, GBP: 20, CAD: 30, AUD: 30, NZD: 30 },
  timeZone: 'UTC',
};

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

let parsed: { raw: string | undefined; terms: z.infer<typeof TermsConfig> } | undefined;

function configured(): z.infer<typeof TermsConfig> {
  const raw = config().SETTLEMENT_TERMS;
  if (parsed && parsed.raw === raw) return parsed.terms;
  const result = TermsConfig.safeParse(raw === undefined ? {} : JSON.parse(raw));
  if (!result.success) throw new Error('SETTLEMENT_TERMS is not valid settlement terms');
  parsed = { raw, terms: result.data };
  return result.data;
}

/** The terms of `merchantId`: its own entry over the configured default over DEFAULT_TERMS. */
export function termsFor(merchantId: string): SettlementTerms {
  const all = configured();
  return { ...DEFAULT_TERMS, ...all.default, ...all[merchantId] };
}

/**
 * The fee on a capture of `gross` minor units: the rate part rounded half up, plus the fixed part of
 * the currency; never more than the capture itself, so no capture makes the merchant owe Tessera.
 */
export function captureFee(terms: SettlementTerms, gross: number, currency: string): number {
  // BigInt: gross × bps may pass 2^53 for the largest amounts.
  const rate = Number((BigInt(gross) * BigInt(terms.feeBps) + 5_000n) / 10_000n);
  return Math.min(gross, rate + (terms.feeFixed[currency] ?? 0));
}

/**
 * The fee returned with a refund of `amount`: the rate part, rounded DOWN, so the refunds of a
 * capture, however split, never return more rate fee than the capture was charged; the fixed part
 * is kept (it paid for the transaction, which happened).
 */
export function refundedFee(terms: SettlementTerms, amount: number): number {
  return Number((BigInt(amount) * BigInt(terms.feeBps)) / 10_000n);
}

/** The calendar day (YYYY-MM-DD) that `at` falls on in `timeZone`. */
export function localDay(at: Date, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).formatToParts(at);
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return `${part('year')}-${part('month')}-${part('day')}`;
}

/** How far `timeZone` is ahead of UTC at `at`, in ms (whole seconds). */
function offsetMs(at: Date, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(at);
  const n = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const wall = Date.UTC(n('year'), n('month') - 1, n('day'), n('hour'), n('minute'), n('second'));
  return wall - Math.floor(at.getTime() / 1000) * 1000;
}

/** The instant `day` (YYYY-MM-DD) begins in `timeZone`: its local midnight. */
export function startOfLocalDay(day: string, timeZone: string): Date {
  const utcMidnight = Date.parse(`${day}T00:00:00Z`);
  // Twice: the offset at the first guess may differ from the offset at the answer (DST).
  const first = utcMidnight - offsetMs(new Date(utcMidnight), timeZone);
  return new Date(utcMidnight - offsetMs(new Date(first), timeZone));
}
