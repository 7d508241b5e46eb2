/**
 * The numbers of checkout, in one place so the README, the tests and the code cannot disagree.
 * Two are configuration (environment), parsed once: the step-up threshold and the monthly APR.
 * The threshold is a money limit (lib/money-limits.ts): `CHECKOUT_STEP_UP_THRESHOLD_USD` whole US
 * dollars scaled per currency by the catalogue's conversion table, or
 * `CHECKOUT_STEP_UP_THRESHOLD_BY_CURRENCY` overrides in minor units.
 */
import * as z from 'zod';
import type { CurrencyCode } from '../lib/money.ts';
import { moneyLimitFromEnv } from '../lib/money-limits.ts';
import { defineSchema } from '../lib/schema.ts';

const HOUR_MS = 3_600_000;

/** A merchant's checkout session can be approved for 48 hours. */
export const SESSION_TTL_MS = 48 * HOUR_MS;
/** The shopper's approval (authorizationToken) must become an order within 60 minutes, once. */
export const AUTHORIZATION_TOKEN_TTL_MS = 60 * 60_000;

const CheckoutConfigSchema = /* @__PURE__ */ defineSchema(() =>
  z.object({
    /** The nominal APR of the monthly plan, in basis points (a risk-based price is a later issue). */
    CHECKOUT_MONTHLY_APR_BPS: z.coerce.number().int().min(0).max(100_000).default(1_499),
  }),
);

/**
 * Amounts strictly above this (USD 500 in each currency: USD 500.00, JPY 75,000, KWD 150.000) need a
 * step-up bound to the amount and the merchant (PSD2 dynamic linking, RTS Art. 5).
 */
export const CHECKOUT_STEP_UP_THRESHOLD_USD = 500;

export interface CheckoutConfig {
  stepUpThreshold(currency: CurrencyCode): number;
  monthlyAprBps: number;
}

let cached: CheckoutConfig | undefined;

export function checkoutConfig(): CheckoutConfig {
  if (!cached) {
    const parsed = CheckoutConfigSchema.safeParse(process.env);
    if (!parsed.success) {
      const fields = parsed.error.issues.map((i) => i.path.join('.')).join(', ');
      throw new Error(`Invalid checkout configuration in environment: ${fields}`);
    }
    cached = {
      stepUpThreshold: moneyLimitFromEnv('CHECKOUT_STEP_UP_THRESHOLD', CHECKOUT_STEP_UP_THRESHOLD_USD),
      monthlyAprBps: parsed.data.CHECKOUT_MONTHLY_APR_BPS,
    };
  }
  return cached;
}
