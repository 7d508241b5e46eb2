/**
 * The plan catalogue: which plans exist, their terms, per-currency amount limits and fees. This is the
 * document `GET /v1/config` publishes, so its zod schema is the contract merchants read their limits from.
 * All amounts are integer minor units of the currency they are keyed by.
 */
import * as z from 'zod';
import { unprocessable } from '../lib/errors.ts';
import {
  CURRENCY_CODES,
  CURRENCY_EXPONENTS,
  type CurrencyCode,
  CurrencyCodeSchema,
  fromUsd,
  MinorUnitsSchema,
  NonNegativeMinorUnitsSchema,
  perCurrencyFromUsd,
} from '../lib/money.ts';
import { defineSchema } from '../lib/schema.ts';

export const PLAN_IDS = ['pay_in_4', 'pay_in_30', 'monthly', 'subscription'] as const;
export type PlanId = (typeof PLAN_IDS)[number];
export const PlanIdSchema = /* @__PURE__ */ defineSchema(() => z.enum(PLAN_IDS).meta({ id: 'PlanId' }));

const BasisPointsSchema = /* @__PURE__ */ defineSchema(() => z.int().min(0).max(100_000));

export const AmountRangeSchema = /* @__PURE__ */ defineSchema(() =>
  z
    .object({ min: MinorUnitsSchema, max: MinorUnitsSchema })
    .refine((range) => range.min <= range.max, { error: 'min must not exceed max', path: ['max'] }),
);

/** Per-currency limits; a currency missing from a plan's map is not offered for that plan. */
export const AmountLimitsSchema = /* @__PURE__ */ defineSchema(() =>
  z.partialRecord(CurrencyCodeSchema, AmountRangeSchema),
);

export const FeesSchema = /* @__PURE__ */ defineSchema(() =>
  z.object({
    /** Charged per missed installment, per currency. */
    lateFee: z.partialRecord(CurrencyCodeSchema, NonNegativeMinorUnitsSchema),
    /** All late fees on one order together never exceed this share of the order amount (2500 = 25%). */
    lateFeeCapBps: z.int().min(0).max(10_000),
    /** An installment still unpaid this many days after its due date is charged one late fee. */
    lateFeeAfterDays: z.int().min(1).max(365),
  }),
);

const planBase = /* @__PURE__ */ defineSchema(() => ({
  /** False when a plan is listed for visibility but cannot be chosen yet. */
  offered: z.boolean(),
  description: z.string().min(1),
  limits: AmountLimitsSchema,
  /** This plan's late fees, where they differ from the catalogue's `fees`. */
  fees: FeesSchema.optional(),
}));

export const PayIn4PlanSchema = /* @__PURE__ */ defineSchema(() =>
  z.object({
    id: z.literal('pay_in_4'),
    ...planBase,
    installments: z.literal(4),
    intervalDays: z.literal(14),
  }),
);

export const PayIn30PlanSchema = /* @__PURE__ */ defineSchema(() =>
  z.object({
    id: z.literal('pay_in_30'),
    ...planBase,
    installments: z.literal(1),
    dueAfterDays: z.literal(30),
  }),
);

export const MonthlyPlanSchema = /* @__PURE__ */ defineSchema(() =>
  z.object({
    id: z.literal('monthly'),
    ...planBase,
    termMonths: z
      .object({ min: z.int().min(1), max: z.int().max(600) })
      .refine((t) => t.min <= t.max, { error: 'min must not exceed max', path: ['max'] }),
    /** Nominal APR range in basis points (1250 = 12.50%). */
    aprBps: z
      .object({ min: BasisPointsSchema, max: BasisPointsSchema })
      .refine((a) => a.min <= a.max, { error: 'min must not exceed max', path: ['max'] }),
  }),
);

export const SubscriptionPlanSchema = /* @__PURE__ */ defineSchema(() =>
  z.object({
    id: z.literal('subscription'),
    ...planBase,
    cadences: z.array(z.enum(['weekly', 'monthly', 'yearly']).meta({ id: 'Cadence' })).min(1),
  }),
);

export const PlanSchema = /* @__PURE__ */ defineSchema(() =>
  z.discriminatedUnion('id', [
    PayIn4PlanSchema,
    PayIn30PlanSchema,
    MonthlyPlanSchema,
    SubscriptionPlanSchema,
  ]),
);

export const PlanCatalogueSchema = /* @__PURE__ */ defineSchema(() =>
  z
    .object({
      currencies: z.array(
        z.object({ code: CurrencyCodeSchema, exponent: z.union([z.literal(0), z.literal(2), z.literal(3)]) }),
      ),
      plans: z.array(PlanSchema),
      fees: FeesSchema,
    })
    .superRefine((catalogue, ctx) => {
      const seen = new Set<string>();
      catalogue.plans.forEach((plan, index) => {
        if (seen.has(plan.id))
          ctx.addIssue({ code: 'custom', message: `duplicate plan ${plan.id}`, path: ['plans', index] });
        seen.add(plan.id);
      });
    }),
);

export type PayIn4Plan = z.infer<typeof PayIn4PlanSchema>;
export type PayIn30Plan = z.infer<typeof PayIn30PlanSchema>;
export type MonthlyPlan = z.infer<typeof MonthlyPlanSchema>;
export type SubscriptionPlan = z.infer<typeof SubscriptionPlanSchema>;
export type Plan = z.infer<typeof PlanSchema>;
export type Fees = z.infer<typeof FeesSchema>;
export type PlanCatalogue = z.infer<typeof PlanCatalogueSchema>;
export type AmountRange = z.infer<typeof AmountRangeSchema>;

function limitsInUsd(min: number, max: number): Partial<Record<CurrencyCode, AmountRange>> {
  const limits: Partial<Record<CurrencyCode, AmountRange>> = {};
  for (const code of CURRENCY_CODES) limits[code] = { min: fromUsd(min, code), max: fromUsd(max, code) };
  return limits;
}

/**
 * The catalogue served when no operator override exists. Typed, and checked against
 * PlanCatalogueSchema by a unit test rather than at load: a parse here cost ~10 ms of every cold start.
 */
export const DEFAULT_PLAN_CATALOGUE: PlanCatalogue = {
  currencies: CURRENCY_CODES.map((code) => ({ code, exponent: CURRENCY_EXPONENTS[code] })),
  plans: [
    {
      id: 'pay_in_4',
      offered: true,
      description: 'Four interest-free payments: the first at capture, then every 14 days.',
      installments: 4,
      intervalDays: 14,
      limits: limitsInUsd(35, 2_000),
    },
    {
      id: 'pay_in_30',
      offered: true,
      description: 'One interest-free payment 30 days after capture.',
      installments: 1,
      dueAfterDays: 30,
      limits: limitsInUsd(10, 1_000),
    },
    {
      id: 'monthly',
      offered: true,
      description: 'Monthly amortized payments over 3 to 36 months at a disclosed APR.',
      termMonths: { min: 3, max: 36 },
      aprBps: { min: 0, max: 3_600 },
      limits: limitsInUsd(100, 10_000),
    },
    {
      id: 'subscription',
      offered: true,
      description:
        'Recurring charges on a cadence, or on demand, under an agreement the shopper approved at checkout (a customer token).',
      cadences: ['weekly', 'monthly', 'yearly'],
      limits: limitsInUsd(5, 1_000),
    },
  ],
  fees: { lateFee: perCurrencyFromUsd(7), lateFeeCapBps: 2_500, lateFeeAfterDays: 10 },
};

/** The plan with `id`; 422 `plan_not_offered` when it is absent or not yet offered. */
export function findPlan(id: PlanId, catalogue: PlanCatalogue = DEFAULT_PLAN_CATALOGUE): Plan {
  const plan = catalogue.plans.find((candidate) => candidate.id === id);
  if (!plan?.offered) throw unprocessable('plan_not_offered', `The plan ${id} is not offered.`, 'plan');
  return plan;
}

/** 422 unless `amount` is within the plan's limits for `currency`. */
export function assertAmountWithinLimits(plan: Plan, amount: number, currency: CurrencyCode): void {
  const range = plan.limits[currency];
  if (!range) {
    throw unprocessable(
      'currency_not_offered',
      `The plan ${plan.id} is not offered in ${currency}.`,
      'currency',
    );
  }
  if (amount < range.min || amount > range.max) {
    throw unprocessable(
      'amount_out_of_range',
      `The plan ${plan.id} accepts ${currency} amounts from ${range.min} to ${range.max} minor units.`,
      'amount',
    );
  }
}

/** The most that late fees may add up to on an order: floor(orderAmount * capBps / 10000), exactly. */
export function lateFeeCap(orderAmount: number, fees: Fees = DEFAULT_PLAN_CATALOGUE.fees): number {
  return Number((BigInt(orderAmount) * BigInt(fees.lateFeeCapBps)) / 10_000n);
}

/** The late fee to charge for one more miss, given the fees already charged on the order (never negative). */
export function nextLateFee(
  orderAmount: number,
  currency: CurrencyCode,
  feesChargedSoFar: number,
  fees: Fees = DEFAULT_PLAN_CATALOGUE.fees,
): number {
  const perMiss = fees.lateFee[currency] ?? 0;
  return Math.max(0, Math.min(perMiss, lateFeeCap(orderAmount, fees) - feesChargedSoFar));
}

/** The late-fee terms of a plan: its own `fees` if it has them, else the catalogue's. */
export function planFees(id: PlanId, catalogue: PlanCatalogue = DEFAULT_PLAN_CATALOGUE): Fees {
  return catalogue.plans.find((plan) => plan.id === id)?.fees ?? catalogue.fees;
}
