/**
 * Risk rules' thresholds, scores and the decision thresholds: defaults here, overridden per stage by
 * `RISK_CONFIG`, a JSON object of the same shape (any subset). Operators tune rules there (README,
 * "Account monitoring") without a code change. Money thresholds are in USD minor units and scaled
 * per currency through the catalogue's conversion table (lib/money.ts `scaleMinorUnits`).
 *
 * Scores add up; the total decides: below `reviewAt` approve, from `reviewAt` review, from
 * `declineAt` decline (Marble's scored rules with decision thresholds; PSD2 RTS Art. 18 risk
 * analysis). A rule's `onReview` says what a review means where it fired: `step_up` demands a fresh
 * second factor, `hold` stops the action for an operator.
 */
import * as z from 'zod';
import { defineSchema } from '../lib/schema.ts';

const Score = /* @__PURE__ */ defineSchema(() => z.int().min(0).max(1000));
const Count = /* @__PURE__ */ defineSchema(() => z.int().min(1).max(1_000_000));

/** A rule's settings: its score, what a review it causes means, and its own thresholds. */
const rule = <T extends z.ZodRawShape>(shape: T, score: number, onReview: 'step_up' | 'hold' = 'step_up') =>
  z.object({
    score: Score.default(score),
    onReview: z.enum(['step_up', 'hold']).default(onReview),
    ...shape,
  });

export const RiskConfigSchema = /* @__PURE__ */ defineSchema(() =>
  z
    .object({
      /**
       * `false` switches account monitoring off: every assessment approves at once, reads and writes
       * nothing, and is logged as unassessed (an operator's switch for an incident in the monitoring
       * path, and the suites' default where they test other capabilities).
       */
      enabled: z.boolean().default(true),
      reviewAt: Score.default(50),
      declineAt: Score.default(100),
      rules: z
        .object({
          checkout_velocity_1h: rule({ max: Count.default(5) }, 50).prefault({}),
          checkout_velocity_24h: rule({ max: Count.default(15) }, 40).prefault({}),
          amount_spike: rule(
            {
              /** The amount is at least `ratio` x the customer's 90-day average checkout amount. */
              ratio: z.number().min(1).max(1000).default(5),
              /** Needs this many checkouts in the 90 days to have an average. */
              minHistory: Count.default(3),
            },
            30,
          ).prefault({}),
          many_cards_per_customer: rule({ min: Count.default(3) }, 40).prefault({}),
          // At checkout: a card another customer used within 30 days is declined (adding it is allowed,
          // and flagged by the stream consumer for an operator: a family may share a card).
          shared_card: rule({ min: Count.default(2) }, 100).prefault({}),
          shared_device_or_ip: rule({ min: Count.default(3) }, 30).prefault({}),
          twofa_failure_burst: rule({ min: Count.default(5) }, 50).prefault({}),
          otp_send_abuse: rule({ min: Count.default(10) }, 50).prefault({}),
          new_device_high_amount: rule({ minAmountUsdMinor: Count.default(50_000) }, 50).prefault({}),
          // The window is the 72 h aggregate (./rules.ts); `withinHours` only names it for operators.
          security_change_then_money_out: rule(
            { withinHours: z.literal(72).default(72) },
            60,
            'hold',
          ).prefault({}),
          card_testing: rule({ min: Count.default(5) }, 100, 'hold').prefault({}),
          // A card whose owner's dispute confirmed fraud (disputes' CARDFLAG#<fingerprint>): never again.
          flagged_card: rule({}, 100).prefault({}),
          repeated_credit_applications: rule({ min: Count.default(3) }, 30).prefault({}),
        })
        .prefault({}),
    })
    // A review needs room below a decline: with reviewAt >= declineAt no total could ever be a review.
    .refine((config) => config.reviewAt < config.declineAt, {
      message: 'reviewAt must be below declineAt',
      path: ['reviewAt'],
    }),
);
export type RiskConfig = z.infer<typeof RiskConfigSchema>;
export type RuleName = keyof RiskConfig['rules'];

let cached: { source: string | undefined; config: RiskConfig } | undefined;

/**
 * The effective configuration: RISK_CONFIG over the defaults, parsed once per value of the variable.
 * Throws a clear Error at the first use when RISK_CONFIG is not valid JSON of the schema.
 */
export function riskConfig(): RiskConfig {
  const source = process.env.RISK_CONFIG;
  if (cached && cached.source === source) return cached.config;
  let raw: unknown = {};
  if (source) {
    try {
      raw = JSON.parse(source);
    } catch {
      throw new Error('RISK_CONFIG is not valid JSON');
    }
  }
  const parsed = RiskConfigSchema.safeParse(raw);
  if (!parsed.success) throw new Error(`RISK_CONFIG is invalid: ${z.prettifyError(parsed.error)}`);
  cached = { source, config: parsed.data };
  return cached.config;
}
