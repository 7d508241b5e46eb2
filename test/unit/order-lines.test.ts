import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type * as z from 'zod';
import { CreateCheckoutSessionBody } from '../../functions/checkout/schema.ts';
import { applyRefund, buildSchedule } from '../../functions/installments/terms.ts';
import { ApiError } from '../../functions/lib/errors.ts';
import { zodToApiError } from '../../functions/lib/http.ts';
import { includedTax, type OrderLine, orderDataProblem } from '../../functions/lib/order-lines.ts';
import { CaptureBody, RefundBody } from '../../functions/orders/schema.ts';

const NOW = new Date('2026-03-01T12:00:00Z');

/** A line that adds up: totalAmount = quantity × unitPrice − discount, tax inside it at taxRate. */
const lineArb = fc
  .record({
    kind: fc.constantFrom('physical', 'digital', 'shipping_fee', 'sales_tax', 'discount', 'surcharge'),
    quantity: fc.integer({ min: 1, max: 20 }),
    unit: fc.integer({ min: 0, max: 500_000 }),
    discountShare: fc.integer({ min: 0, max: 100 }),
    taxRate: fc.constantFrom(0, 500, 700, 1200, 2000, 2500, 10_000),
    reference: fc.stringMatching(/^[A-Z]{2}-[0-9]{3}$/),
  })
  .map(({ kind, quantity, unit, discountShare, taxRate, reference }): OrderLine => {
    const negative = kind === 'discount';
    const unitPrice = negative ? -unit : unit;
    const gross = quantity * unitPrice;
    const totalDiscountAmount = negative ? 0 : Math.floor((gross * discountShare) / 100);
    const totalAmount = gross - totalDiscountAmount;
    const rate = kind === 'sales_tax' ? 0 : taxRate;
    return {
      type: kind,
      reference,
      name: `Item ${reference}`,
      quantity,
      unitPrice,
      taxRate: rate,
      totalDiscountAmount,
      totalAmount,
      totalTaxAmount: includedTax(totalAmount, rate),
    };
  });

/** A basket whose total is positive, with its amount, shipping and tax as the rule computes them. */
const basketArb = fc
  .array(lineArb, { minLength: 1, maxLength: 12 })
  .filter((lines) => lines.reduce((sum, l) => sum + l.totalAmount, 0) > 0)
  .map((lines) => ({
    amount: lines.reduce((sum, l) => sum + l.totalAmount, 0),
    lines,
    shippingAmount: lines.filter((l) => l.type === 'shipping_fee').reduce((s, l) => s + l.totalAmount, 0),
    taxAmount:
      lines.reduce((s, l) => s + l.totalTaxAmount, 0) +
      lines.filter((l) => l.type === 'sales_tax').reduce((s, l) => s + l.totalAmount, 0),
  }))
  // A real basket's tax and shipping are never negative overall (discounts take tax off).
  .filter((basket) => basket.taxAmount >= 0);

/** Parses as the HTTP edge does: a zod failure becomes the API error. */
function parseWith<S extends z.ZodType>(schema: S, value: unknown, _at: 'body'): z.infer<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw zodToApiError(result.error, 'body', value);
  return result.data;
}

const session = (basket: object) => ({ currency: 'USD', merchantReference: 'cart-1', ...basket });

function refusal(run: () => unknown): ApiError {
  try {
    run();
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('order lines (Klarna order_lines rules, exact in minor units)', () => {
  it('property: every valid basket validates on a checkout session', () => {
    fc.assert(
      fc.property(basketArb, (basket) => {
        expect(orderDataProblem(basket.amount, basket)).toBeUndefined();
        const parsed = parseWith(CreateCheckoutSessionBody, session(basket), 'body');
        expect(parsed.lines).toEqual(basket.lines);
      }),
      { numRuns: 300 },
    );
  });

  it('a line that does not add up is refused with 400 order_lines_mismatch naming the FIRST bad line', () => {
    fc.assert(
      fc.property(
        basketArb.filter((b) => b.lines.length >= 3),
        fc.nat(),
        (basket, pick) => {
          const bad = 1 + (pick % (basket.lines.length - 1));
          const lines = basket.lines.map((line, index) =>
            // Two broken lines: the error names the first one.
            index === bad || index === basket.lines.length - 1
              ? {
                  ...line,
                  totalAmount: line.totalAmount + 1,
                  totalTaxAmount: includedTax(line.totalAmount + 1, line.taxRate),
                }
              : line,
          );
          const error = refusal(() =>
            parseWith(CreateCheckoutSessionBody, session({ ...basket, lines }), 'body'),
          );
          expect(error.status).toBe(400);
          expect(error.code).toBe('order_lines_mismatch');
          expect(error.param).toBe(`lines.${bad}.totalAmount`);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('names the amount, shippingAmount and taxAmount when only the sums are wrong', () => {
    const line: OrderLine = {
      type: 'physical',
      reference: 'A-1',
      name: 'Lamp',
      quantity: 3,
      unitPrice: 1250,
      taxRate: 2500,
      totalDiscountAmount: 250,
      totalAmount: 3500,
      totalTaxAmount: 700,
    };
    const shipping: OrderLine = {
      ...line,
      type: 'shipping_fee',
      reference: 'SHIP',
      quantity: 1,
      unitPrice: 500,
      totalDiscountAmount: 0,
      totalAmount: 500,
      totalTaxAmount: 100,
    };
    const ok = { amount: 4000, lines: [line, shipping], shippingAmount: 500, taxAmount: 800 };
    expect(parseWith(CreateCheckoutSessionBody, session(ok), 'body').amount).toBe(4000);
    for (const [change, param] of [
      [{ amount: 4001 }, 'amount'],
      [{ shippingAmount: 499 }, 'shippingAmount'],
      [{ taxAmount: 801 }, 'taxAmount'],
      [{ lines: [{ ...line, totalTaxAmount: 702 }, shipping] }, 'lines.0.totalTaxAmount'],
      [{ lines: [line, { ...shipping, unitPrice: -500, totalAmount: -500 }] }, 'lines.1.unitPrice'],
    ] as const) {
      const error = refusal(() =>
        parseWith(CreateCheckoutSessionBody, session({ ...ok, ...change }), 'body'),
      );
      expect([error.code, error.param]).toEqual(['order_lines_mismatch', param]);
    }
    // The tax inside 3500 at 25 %: 3500 − 3500/1.25 = 700 (Klarna's worked example shape); ±1 accepted.
    expect(includedTax(3500, 2500)).toBe(700);
    expect(
      parseWith(
        CreateCheckoutSessionBody,
        session({ ...ok, lines: [{ ...line, totalTaxAmount: 701 }, shipping], taxAmount: 801 }),
        'body',
      ).amount,
    ).toBe(4000);
  });

  it('property: captures and refunds of lines keep every amount exact', () => {
    fc.assert(
      fc.property(
        basketArb.filter((b) => b.lines.every((l) => l.totalAmount > 0)),
        fc.array(fc.nat(3), { minLength: 12, maxLength: 12 }),
        fc.array(fc.boolean(), { minLength: 12, maxLength: 12 }),
        (basket, shipmentOf, returned) => {
          // Each line ships in one of up to 4 captures; some shipped lines come back.
          const groups = new Map<number, OrderLine[]>();
          basket.lines.forEach((line, index) => {
            const group = shipmentOf[index] ?? 0;
            groups.set(group, [...(groups.get(group) ?? []), line]);
          });
          let captured = 0;
          for (const lines of groups.values()) {
            const amount = lines.reduce((s, l) => s + l.totalAmount, 0);
            const capture = parseWith(CaptureBody, { amount, lines }, 'body');
            captured += capture.amount;
            const schedule = buildSchedule('pay_in_4', capture.amount, 'USD', NOW);
            expect(schedule.installments.reduce((s, i) => s + i.amount, 0)).toBe(capture.amount);
            const back = lines.filter((_, i) => returned[i]);
            if (back.length === 0) continue;
            const refundAmount = back.reduce((s, l) => s + l.totalAmount, 0);
            const refund = parseWith(RefundBody, { amount: refundAmount, orderLines: back }, 'body');
            const result = applyRefund(
              schedule.installments.map((i) => ({
                id: `ins_${i.seq}`,
                amount: i.amount,
                status: 'due' as const,
              })),
              refund.amount,
            );
            expect(result.reduced).toBe(refundAmount);
            expect(result.installments.reduce((s, i) => s + i.amount, 0)).toBe(capture.amount - refundAmount);
          }
          expect(captured).toBe(basket.amount);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('a capture or refund whose lines do not sum to its amount is refused on the lines field', () => {
    const line = { reference: 'A-1', name: 'Lamp', quantity: 2, unitPrice: 1000, totalAmount: 2000 };
    expect(refusal(() => parseWith(CaptureBody, { amount: 1999, lines: [line] }, 'body'))).toMatchObject({
      code: 'order_lines_mismatch',
      param: 'amount',
    });
    expect(
      refusal(() =>
        parseWith(RefundBody, { amount: 2000, orderLines: [{ ...line, totalAmount: 1999 }] }, 'body'),
      ),
    ).toMatchObject({ code: 'order_lines_mismatch', param: 'orderLines.0.totalAmount' });
    expect(
      refusal(() =>
        parseWith(
          CaptureBody,
          {
            amount: 2000,
            shippingInfo: [{ carrier: 'UPS', trackingNumber: '1Z', trackingUrl: 'http://ups.com/t' }],
          },
          'body',
        ),
      ),
    ).toMatchObject({ status: 400, param: 'shippingInfo.0.trackingUrl' });
  });
});
