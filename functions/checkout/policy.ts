/**
 * The numbers of checkout, in one place so the README, the tests and the code cannot disagree.
 * Two are configuration (environment), parsed once: the step-up threshold and the monthly APR.
 */
import * as z from 'zod';
import { CURRENCY_CODES, type CurrencyCode } from '../lib/money.ts';
import { defineSchema } from '../lib/schema.ts';

const HOUR_MS = 3_600_000;

/** A merchant's checkout session can be approved for 48 hours. */
export const SESSION_TTL_MS = 48 * HOUR_MS;
/** The shopper's approval (authorizationToken) must become an order within 60 minutes, once. */
export const AUTHORIZATION_TOKEN_TTL_MS = 60 * 60_000;

const ThresholdsSchema = /* @__PURE__ */ defineSchema(() =>
  z.partialRecord(z.enum(CURRENCY_CODES), z.int().min(0)),
);

const CheckoutConfigSchema = /* @__PURE__ */ defineSchema(() =>
  z.object({
    /**
     * Amounts strictly above this many minor units need a step-up bound to the amount and the merchant
     * (PSD2 dynamic linking). One number for every currency unless overridden per currency below.
     */
    CHECKOUT_STEP_UP_THRESHOLD: z.coerce.number().int().min(0).default(50_000),
    /** Per-currency overrides as JSON, e.g. `{"JPY":75000,"KWD":150000}`. */
    CHECKOUT_STEP_UP_THRESHOLDS: z
      .string()
      .optional()
      .transform((raw, ctx) => {
        if (!raw) return {};
        try {
          return ThresholdsSchema.parse(JSON.parse(raw));
        } catch {
          ctx.addIssue({ code: 'custom', message: 'must be a JSON object of currency -> minor units' });
          return z.NEVER;
        }
      }),
    /** The nominal APR of the monthly plan, in basis points (a risk-based price is a later issue). */
    CHECKOUT_MONTHLY_APR_BPS: z.coerce.number().int().min(0).max(100_000).default(1_499),
  }),
);

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
    const { CHECKOUT_STEP_UP_THRESHOLD, CHECKOUT_STEP_UP_THRESHOLDS, CHECKOUT_MONTHLY_APR_BPS } = parsed.data;
    cached = {
      stepUpThreshold: (currency) => CHECKOUT_STEP_UP_THRESHOLDS[currency] ?? CHECKOUT_STEP_UP_THRESHOLD,
      monthlyAprBps: CHECKOUT_MONTHLY_APR_BPS,
    };
  }
  return cached;
}
