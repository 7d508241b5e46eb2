import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../../functions/lib/errors.ts';
import type {
  CaptureRecord,
  InstallmentRecord,
  InstallmentStatus,
  OrderPartition,
  OrderRecord,
} from '../../functions/orders/model.ts';
import { planRefund } from '../../functions/orders/refund.ts';
import { nextOrderStatus } from '../../functions/orders/state.ts';
import { thrownApiError } from '../support/errors.ts';

const NOW = new Date('2026-03-01T12:00:00Z');

function order(overrides: Partial<OrderRecord> = {}): OrderRecord {
  return {
    id: 'ord_1',
    merchantId: 'mer_1',
    livemode: false,
    customerId: 'cus_1',
    checkoutSessionId: 'cs_1',
    merchantReference: 'r',
    status: 'captured',
    amount: 10_000,
    currency: 'USD',
    plan: 'pay_in_4',
    cardToken: 'tok_1',
    cardBrand: 'visa',
    cardLast4: '4242',
    capturedAmount: 10_000,
    refundedAmount: 0,
    outstandingAmount: 7_500,
    collectedAmount: 2_500,
    captureCount: 1,
    authorizationExpiresAt: '2026-03-29T12:00:00.000Z',
    authorizationMaxExpiresAt: '2026-08-28T12:00:00.000Z',
    schedulePreview: {
      installments: [],
      disclosure: { amountFinanced: 0, financeCharge: 0, totalOfPayments: 0, apr: 0, payment: 0 },
    },
    version: 3,
    createdAt: NOW.toISOString(),
    updatedAt: NOW.toISOString(),
    ...overrides,
  };
}

function installment(
  captureId: string,
  seq: number,
  amount: number,
  status: InstallmentStatus,
  refunded = 0,
): InstallmentRecord {
  return {
    id: `ins_${captureId}_${seq}`,
    orderId: 'ord_1',
    merchantId: 'mer_1',
    customerId: 'cus_1',
    captureId,
    seq,
    dueDate: '2026-03-01',
    amount,
    originalAmount: amount,
    principal: amount,
    interest: 0,
    currency: 'USD',
    cardToken: 'tok_1',
    status,
    attempts: status === 'due' ? 0 : 1,
    refunded,
    version: 1,
    createdAt: NOW.toISOString(),
    updatedAt: NOW.toISOString(),
    ...(status === 'due' || (status === 'failed' && seq % 2 === 0) ? { duePk: 'DUE#x#0', dueSk: 'x' } : {}),
  };
}

function capture(id: string, installments: InstallmentRecord[]): CaptureRecord {
  return {
    id,
    orderId: 'ord_1',
    amount: installments.reduce((sum, i) => sum + i.amount, 0),
    currency: 'USD',
    refundedAmount: 0,
    disclosure: { amountFinanced: 0, financeCharge: 0, totalOfPayments: 0, apr: 0, payment: 0 },
    installmentIds: installments.map((i) => i.id),
    createdAt: NOW.toISOString(),
  };
}

function partitionOf(plans: InstallmentRecord[][]): OrderPartition {
  const captures = plans.map((installments, index) => capture(`cap_${index}`, installments));
  return { order: order(), captures, installments: plans.flat(), refunds: [] };
}

const statusArb = fc.constantFrom<InstallmentStatus>('due', 'paid', 'failed', 'charging', 'cancelled');

/** A capture's installments: amounts 0..5000 (cancelled ones 0), paid ones partly refunded already. */
const captureArb = fc.array(
  fc.record({
    status: statusArb,
    amount: fc.integer({ min: 0, max: 5_000 }),
    refundedShare: fc.double({ min: 0, max: 1, noNaN: true }),
  }),
  { minLength: 1, maxLength: 6 },
);

const apiError = thrownApiError;

describe('refunds at the order level', () => {
  it('property: any sequence of refunds over several captures never leaves a negative installment', () => {
    fc.assert(
      fc.property(
        fc.array(captureArb, { minLength: 1, maxLength: 4 }),
        fc.array(fc.record({ amount: fc.integer({ min: 1, max: 25_000 }), capture: fc.option(fc.nat(3)) }), {
          maxLength: 12,
        }),
        (captures, refunds) => {
          const partition = partitionOf(
            captures.map((specs, c) =>
              specs.map((spec, i) => {
                const amount = spec.status === 'cancelled' ? 0 : spec.amount;
                const refunded = spec.status === 'paid' ? Math.floor(amount * spec.refundedShare) : 0;
                return installment(`cap_${c}`, i + 1, amount, spec.status, refunded);
              }),
            ),
          );
          const capacity = () =>
            partition.installments.reduce(
              (sum, i) =>
                sum + (i.status === 'paid' ? i.amount - i.refunded : i.status === 'charging' ? 0 : i.amount),
              0,
            );
          let accepted = 0;
          let moved = 0;
          const initialCapacity = capacity();
          for (const attempt of refunds) {
            const captureId =
              attempt.capture === null
                ? undefined
                : partition.captures[attempt.capture % partition.captures.length]?.id;
            let plan: ReturnType<typeof planRefund>;
            try {
              plan = planRefund(partition, attempt.amount, captureId);
            } catch (error) {
              expect(error).toBeInstanceOf(ApiError);
              expect([409, 422]).toContain((error as ApiError).status);
              continue;
            }
            accepted += attempt.amount;
            expect(plan.reduce((sum, part) => sum + part.amount, 0)).toBe(attempt.amount);
            for (const part of plan) {
              if (captureId) expect(part.capture.id).toBe(captureId);
              part.installments.forEach((inst, index) => {
                const line = part.result.lines[index];
                const next = part.result.installments[index];
                if (!line || !next) throw new Error('plan lines must match the installments');
                // Reductions only on unpaid, collectable installments; returns only from paid ones.
                if (line.reducedBy > 0) expect(['due', 'failed']).toContain(inst.status);
                if (line.refundedBy > 0) expect(inst.status).toBe('paid');
                if (inst.status === 'charging') expect(line.reducedBy + line.refundedBy).toBe(0);
                moved += line.reducedBy + line.refundedBy;
                inst.amount = next.amount;
                inst.refunded = next.refunded ?? 0;
                if (line.reducedBy > 0 && next.amount === 0) inst.status = 'cancelled';
              });
            }
            for (const inst of partition.installments) {
              expect(inst.amount).toBeGreaterThanOrEqual(0);
              expect(inst.refunded).toBeGreaterThanOrEqual(0);
              expect(inst.refunded).toBeLessThanOrEqual(inst.amount);
              expect(Number.isSafeInteger(inst.amount)).toBe(true);
            }
          }
          expect(moved).toBe(accepted);
          expect(capacity()).toBe(initialCapacity - accepted);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('without a captureId, takes from the latest capture first, then earlier ones', () => {
    const partition = partitionOf([
      [installment('cap_0', 1, 2_500, 'paid'), installment('cap_0', 2, 2_500, 'due')],
      [installment('cap_1', 1, 1_000, 'paid'), installment('cap_1', 2, 1_000, 'due')],
    ]);
    const plan = planRefund(partition, 3_000);
    expect(plan.map((p) => [p.capture.id, p.amount])).toEqual([
      ['cap_1', 2_000],
      ['cap_0', 1_000],
    ]);
    expect(plan[0]?.result.lines).toEqual([
      { installmentId: 'ins_cap_1_1', reducedBy: 0, refundedBy: 1_000 },
      { installmentId: 'ins_cap_1_2', reducedBy: 1_000, refundedBy: 0 },
    ]);
    // The earlier capture is reduced before any of its collected money is returned.
    expect(plan[1]?.result.lines).toEqual([
      { installmentId: 'ins_cap_0_1', reducedBy: 0, refundedBy: 0 },
      { installmentId: 'ins_cap_0_2', reducedBy: 1_000, refundedBy: 0 },
    ]);
  });

  it('a named capture is refunded alone: 422 beyond it, 409 when only a charge in flight would fit', () => {
    const partition = partitionOf([
      [installment('cap_0', 1, 2_500, 'charging'), installment('cap_0', 2, 2_500, 'due')],
      [installment('cap_1', 1, 9_000, 'due')],
    ]);
    expect(apiError(() => planRefund(partition, 6_000, 'cap_0'))).toMatchObject({
      status: 422,
      code: 'refund_exceeds_refundable',
    });
    expect(apiError(() => planRefund(partition, 3_000, 'cap_0'))).toMatchObject({
      status: 409,
      code: 'installment_charging',
    });
    expect(planRefund(partition, 2_500, 'cap_0')[0]?.amount).toBe(2_500);
  });
});

describe('nextOrderStatus', () => {
  it('refunded once everything captured was refunded', () => {
    expect(nextOrderStatus(order({ refundedAmount: 10_000 }), [], NOW)).toBe('refunded');
  });

  it('paid_off when nothing is owed and nothing more can be captured', () => {
    expect(nextOrderStatus(order({ outstandingAmount: 0 }), [], NOW)).toBe('paid_off');
    // Part of the authorization is still capturable: not settled yet.
    expect(nextOrderStatus(order({ outstandingAmount: 0, capturedAmount: 5_000 }), [], NOW)).toBe('captured');
    // ... until it is released or lapses.
    expect(
      nextOrderStatus(
        order({ outstandingAmount: 0, capturedAmount: 5_000, authorizationReleased: true }),
        [],
        NOW,
      ),
    ).toBe('paid_off');
    expect(
      nextOrderStatus(
        order({ outstandingAmount: 0, capturedAmount: 5_000 }),
        [],
        new Date('2026-04-01T00:00:00Z'),
      ),
    ).toBe('paid_off');
  });

  it('in_arrears when an installment failed with no retry scheduled; captured while dunning may retry', () => {
    const hard = installment('cap_0', 1, 2_500, 'failed');
    expect(hard.duePk).toBeUndefined();
    expect(nextOrderStatus(order(), [hard], NOW)).toBe('in_arrears');
    const soft = installment('cap_0', 2, 2_500, 'failed');
    expect(soft.duePk).toBeDefined();
    expect(nextOrderStatus(order(), [soft], NOW)).toBe('captured');
  });

  it('an order with nothing captured keeps its status', () => {
    expect(
      nextOrderStatus(order({ status: 'authorized', capturedAmount: 0, outstandingAmount: 0 }), [], NOW),
    ).toBe('authorized');
  });
});
