/**
 * Order data: the lines of a purchase (what was bought, at what price, tax and discount), its
 * shipping and tax amounts, and its addresses. Checkout sessions and orders carry it; captures and
 * refunds carry the lines they move. A value type of the money kernel (like ./money.ts): checkout
 * and orders both validate with it, so the rule exists once.
 *
 * The model and the arithmetic follow Klarna's `order_lines` (Klarna Payments / Order Management
 * API, "order_line" and "Handle tax in Klarna payments"), in camelCase and integer minor units:
 * - a line's `totalAmount` = `quantity` × `unitPrice` − `totalDiscountAmount`, exactly; prices
 *   include tax (Klarna's "global way");
 * - a line's `totalTaxAmount` is the tax inside `totalAmount` at `taxRate` basis points
 *   (2500 = 25 %): `totalAmount` − round(`totalAmount` × 10000 / (10000 + `taxRate`)), half away
 *   from zero, within 1 minor unit (Klarna allows ±1 on the rate; we state it in minor units);
 * - the amount (of an order, a capture or a refund) = Σ `totalAmount`, exactly;
 * - `taxAmount` = Σ `totalTaxAmount` + Σ `totalAmount` of `sales_tax` lines (Klarna's US way: tax
 *   as its own line), exactly; `shippingAmount` = Σ `totalAmount` of `shipping_fee` lines, exactly;
 * - only `discount`, `gift_card` and `store_credit` lines may be negative (Klarna's line types).
 * A refusal names the first field that breaks a rule, as a dotted path (`lines.2.totalAmount`).
 */
import * as z from 'zod';
import { defineSchema, freeText } from './schema.ts';

export const ORDER_LINE_TYPES = [
  'physical',
  'digital',
  'discount',
  'shipping_fee',
  'sales_tax',
  'gift_card',
  'store_credit',
  'surcharge',
] as const;
export type OrderLineType = (typeof ORDER_LINE_TYPES)[number];

/** Line types whose amounts are negative (they reduce the total), per Klarna's order line types. */
export const NEGATIVE_LINE_TYPES: ReadonlySet<OrderLineType> = new Set([
  'discount',
  'gift_card',
  'store_credit',
]);

/** Lines per order, capture or refund (Klarna accepts 1000; ours keep an order item far below 400 KB). */
export const MAX_ORDER_LINES = 100;
/** Bound on any line amount (Klarna's 200000000), so Σ and × stay exact in a double. */
export const MAX_LINE_AMOUNT = 200_000_000_000;
export const MAX_TAX_RATE_BPS = 10_000;

export interface OrderLine {
  type: OrderLineType;
  reference: string;
  name: string;
  quantity: number;
  quantityUnit?: string | undefined;
  /** Minor units, tax included; negative only for NEGATIVE_LINE_TYPES. */
  unitPrice: number;
  /** Basis points (2500 = 25 %). */
  taxRate: number;
  /** Minor units, ≥ 0, tax included. */
  totalDiscountAmount: number;
  /** quantity × unitPrice − totalDiscountAmount. */
  totalAmount: number;
  /** The tax inside totalAmount. */
  totalTaxAmount: number;
}

export interface Address {
  name?: string | undefined;
  line1: string;
  line2?: string | undefined;
  city: string;
  region?: string | undefined;
  postalCode: string;
  /** ISO 3166-1 alpha-2. */
  country: string;
  email?: string | undefined;
  phone?: string | undefined;
}

/** What checkout sessions and orders carry beside the amount; every field optional. */
export interface OrderData {
  lines?: OrderLine[] | undefined;
  shippingAmount?: number | undefined;
  taxAmount?: number | undefined;
  shippingAddress?: Address | undefined;
  billingAddress?: Address | undefined;
}

const amount = () => z.int().min(-MAX_LINE_AMOUNT).max(MAX_LINE_AMOUNT);
const text = (max: number) => freeText().trim().min(1).max(max);

export const OrderLineTypeSchema = /* @__PURE__ */ defineSchema(() =>
  z.enum(ORDER_LINE_TYPES).meta({ id: 'OrderLineType' }),
);

export const OrderLineSchema = /* @__PURE__ */ defineSchema(() =>
  z
    .strictObject({
      type: OrderLineTypeSchema.default('physical'),
      reference: text(64).meta({
        description: 'SKU or article number; captures and refunds name lines by it.',
      }),
      name: text(255),
      quantity: z.int().min(1).max(1_000_000),
      quantityUnit: text(10).optional(),
      unitPrice: amount().meta({ description: 'Minor units, tax included; negative for discounts.' }),
      taxRate: z
        .int()
        .min(0)
        .max(MAX_TAX_RATE_BPS)
        .default(0)
        .meta({ description: 'Basis points: 2500 = 25 %.' }),
      totalDiscountAmount: z.int().min(0).max(MAX_LINE_AMOUNT).default(0),
      totalAmount: amount().meta({ description: 'quantity × unitPrice − totalDiscountAmount, exactly.' }),
      totalTaxAmount: amount()
        .default(0)
        .meta({ description: 'The tax inside totalAmount at taxRate (within 1 minor unit).' }),
    })
    .meta({ id: 'OrderLine' }),
);

export const AddressSchema = /* @__PURE__ */ defineSchema(() =>
  z
    .strictObject({
      name: text(255).optional(),
      line1: text(255),
      line2: text(255).optional(),
      city: text(128),
      region: text(128).optional(),
      postalCode: text(32),
      country: z
        .string()
        .regex(/^[A-Z]{2}$/, { message: 'must be an ISO 3166-1 alpha-2 code' })
        .meta({ description: 'ISO 3166-1 alpha-2.', example: 'US' }),
      email: text(254).optional(),
      phone: text(32).optional(),
    })
    .meta({ id: 'Address' }),
);

export const OrderLinesSchema = /* @__PURE__ */ defineSchema(() =>
  z.array(OrderLineSchema).min(1).max(MAX_ORDER_LINES),
);

/** The order data fields, to spread into a request schema that has an `amount`. */
export const orderDataFields = () => ({
  lines: OrderLinesSchema.optional().meta({
    description: 'What was bought (Klarna order_lines); their totalAmounts sum exactly to `amount`.',
  }),
  shippingAmount: z.int().min(0).max(MAX_LINE_AMOUNT).optional().meta({
    description: 'Σ totalAmount of the shipping_fee lines, exactly (when lines are sent).',
  }),
  taxAmount: z.int().min(0).max(MAX_LINE_AMOUNT).optional().meta({
    description: 'Σ totalTaxAmount plus Σ totalAmount of sales_tax lines, exactly (when lines are sent).',
  }),
  shippingAddress: AddressSchema.optional(),
  billingAddress: AddressSchema.optional(),
});

/** The tax inside a tax-inclusive `total` at `rateBps`, rounded half away from zero (exact integers). */
export function includedTax(total: number, rateBps: number): number {
  if (rateBps === 0 || total === 0) return 0;
  const sign = total < 0 ? -1 : 1;
  const magnitude = Math.abs(total) * 10_000;
  const divisor = 10_000 + rateBps;
  // round(m / d) half up, in integers: floor((2m + d) / (2d)).
  const net = Math.floor((2 * magnitude + divisor) / (2 * divisor));
  return sign * (Math.abs(total) - net);
}

export interface LinesProblem {
  /** Dotted path of the first field at fault, relative to the body (`lines.2.totalAmount`). */
  param: string;
  message: string;
}

/** The first rule one line breaks, or undefined. */
export function lineProblem(line: OrderLine, index: number, linesKey = 'lines'): LinesProblem | undefined {
  const at = (field: string) => `${linesKey}.${index}.${field}`;
  const negative = NEGATIVE_LINE_TYPES.has(line.type);
  if (!negative && line.unitPrice < 0) {
    return { param: at('unitPrice'), message: `A ${line.type} line cannot have a negative unitPrice.` };
  }
  if (negative && line.unitPrice > 0) {
    return { param: at('unitPrice'), message: `A ${line.type} line's unitPrice must be zero or negative.` };
  }
  const expected = line.quantity * line.unitPrice - line.totalDiscountAmount;
  if (line.totalAmount !== expected) {
    return {
      param: at('totalAmount'),
      message: `${linesKey}[${index}] totalAmount is ${line.totalAmount}; quantity × unitPrice − totalDiscountAmount is ${expected}.`,
    };
  }
  const tax = includedTax(line.totalAmount, line.taxRate);
  if (Math.abs(line.totalTaxAmount - tax) > 1) {
    return {
      param: at('totalTaxAmount'),
      message: `${linesKey}[${index}] totalTaxAmount is ${line.totalTaxAmount}; the tax inside ${line.totalAmount} at ${line.taxRate} basis points is ${tax} (±1).`,
    };
  }
  return undefined;
}

/** Σ of a field over the lines (optionally of some types). */
export function sumLines(
  lines: readonly OrderLine[],
  field: 'totalAmount' | 'totalTaxAmount',
  types?: ReadonlySet<OrderLineType>,
): number {
  return lines.reduce((sum, line) => (types && !types.has(line.type) ? sum : sum + line[field]), 0);
}

const SHIPPING: ReadonlySet<OrderLineType> = new Set(['shipping_fee']);
const SALES_TAX: ReadonlySet<OrderLineType> = new Set(['sales_tax']);

/**
 * The first rule `data` breaks against `amount` (see the module comment), or undefined. Lines are
 * checked in order, each line before the sums, so the error names the first bad line.
 */
export function orderDataProblem(
  amountTotal: number,
  data: OrderData,
  linesKey = 'lines',
): LinesProblem | undefined {
  const { lines } = data;
  if (!lines) {
    if (data.shippingAmount !== undefined || data.taxAmount !== undefined) {
      return {
        param: data.taxAmount !== undefined ? 'taxAmount' : 'shippingAmount',
        message: 'shippingAmount and taxAmount come with lines (they are sums over the lines).',
      };
    }
    return undefined;
  }
  for (const [index, line] of lines.entries()) {
    const problem = lineProblem(line, index, linesKey);
    if (problem) return problem;
  }
  const total = sumLines(lines, 'totalAmount');
  if (total !== amountTotal) {
    return {
      param: 'amount',
      message: `The lines add up to ${total} minor units, not the amount ${amountTotal}.`,
    };
  }
  const shipping = sumLines(lines, 'totalAmount', SHIPPING);
  if (data.shippingAmount !== undefined && data.shippingAmount !== shipping) {
    return {
      param: 'shippingAmount',
      message: `shippingAmount is ${data.shippingAmount}; the shipping_fee lines add up to ${shipping}.`,
    };
  }
  const tax = sumLines(lines, 'totalTaxAmount') + sumLines(lines, 'totalAmount', SALES_TAX);
  if (data.taxAmount !== undefined && data.taxAmount !== tax) {
    return {
      param: 'taxAmount',
      message: `taxAmount is ${data.taxAmount}; the lines' tax (totalTaxAmount and sales_tax lines) adds up to ${tax}.`,
    };
  }
  return undefined;
}

/** The error code of a broken order-data rule (400; ./error-codes.ts). */
export const ORDER_LINES_MISMATCH = 'order_lines_mismatch';

/**
 * Adds the order-data rule to a request schema with `amount` and the `orderDataFields`: a broken
 * rule is 400 `order_lines_mismatch` naming the first field at fault (./http.ts maps `params.code`).
 */
export function withOrderDataRule<T extends z.ZodType<OrderData & { amount: number }>>(schema: T): T {
  return schema.superRefine((body, ctx) => {
    reportProblem(ctx, orderDataProblem(body.amount, body));
  });
}

/**
 * The lines rule alone, for a capture or a refund: `lines` (under `linesKey`) sum exactly to
 * `amount`, each line adding up. Without lines there is nothing to check.
 */
export function withLinesRule<T extends z.ZodType<{ amount: number }>>(schema: T, linesKey: string): T {
  return schema.superRefine((body, ctx) => {
    const lines = (body as Record<string, unknown>)[linesKey] as OrderLine[] | undefined;
    reportProblem(ctx, lines ? orderDataProblem(body.amount, { lines }, linesKey) : undefined);
  });
}

function reportProblem(ctx: z.RefinementCtx, problem: LinesProblem | undefined): void {
  if (!problem) return;
  ctx.addIssue({
    code: 'custom',
    message: problem.message,
    path: problem.param.split('.').map((part) => (/^\d+$/.test(part) ? Number(part) : part)),
    params: { code: ORDER_LINES_MISMATCH },
  });
}

/** Order data as responses show it (only what was sent). */
export const orderDataResponseFields = () => ({
  lines: z.array(OrderLineSchema).optional(),
  shippingAmount: z.int().optional(),
  taxAmount: z.int().optional(),
  shippingAddress: AddressSchema.optional(),
  billingAddress: AddressSchema.optional(),
});

/** The stored form: only the fields given, so records stay small and responses additive. */
export function orderDataOf(data: OrderData): OrderData {
  return {
    ...(data.lines ? { lines: data.lines } : {}),
    ...(data.shippingAmount !== undefined ? { shippingAmount: data.shippingAmount } : {}),
    ...(data.taxAmount !== undefined ? { taxAmount: data.taxAmount } : {}),
    ...(data.shippingAddress ? { shippingAddress: data.shippingAddress } : {}),
    ...(data.billingAddress ? { billingAddress: data.billingAddress } : {}),
  };
}
