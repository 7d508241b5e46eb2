import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { amortize, monthlyInterest } from '../../functions/installments/amortization.ts';
import {
  applyRefund,
  type InstallmentStatus,
  type RefundableInstallment,
  refundCapacity,
} from '../../functions/installments/refund.ts';
import { ApiError } from '../../functions/lib/errors.ts';
import { thrownApiError } from '../support/errors.ts';

const plan = (statuses: InstallmentStatus[], amount = 2_500): RefundableInstallment[] =>
  statuses.map((status, index) => ({ id: `ins_${index + 1}`, amount, status }));

const apiError = thrownApiError;

describe('applyRefund', () => {
  it('reduces the last unpaid installment first', () => {
    const result = applyRefund(plan(['paid', 'due', 'pending', 'pending']), 1_000);
    expect(result.lines).toEqual([
      { installmentId: 'ins_1', reducedBy: 0, refundedBy: 0 },
      { installmentId: 'ins_2', reducedBy: 0, refundedBy: 0 },
      { installmentId: 'ins_3', reducedBy: 0, refundedBy: 0 },
      { installmentId: 'ins_4', reducedBy: 1_000, refundedBy: 0 },
    ]);
    expect(result.installments.map((i) => i.amount)).toEqual([2_500, 2_500, 2_500, 1_500]);
    expect(result).toMatchObject({ reduced: 1_000, refunded: 0 });
  });

  it('works backwards across unpaid installments before touching collected money', () => {
    const result = applyRefund(plan(['paid', 'failed', 'pending', 'pending']), 6_000);
    expect(result.lines.map((line) => line.reducedBy)).toEqual([0, 1_000, 2_500, 2_500]);
    expect(result.lines.map((line) => line.refundedBy)).toEqual([0, 0, 0, 0]);
    expect(result.installments.map((i) => i.amount)).toEqual([2_500, 1_500, 0, 0]);
  });

  it('returns collected money, last paid first, only once nothing remains to reduce', () => {
    const installments = plan(['paid', 'paid', 'pending', 'pending']);
    const result = applyRefund(installments, 6_000);
    expect(result.lines).toEqual([
      { installmentId: 'ins_1', reducedBy: 0, refundedBy: 0 },
      { installmentId: 'ins_2', reducedBy: 0, refundedBy: 1_000 },
      { installmentId: 'ins_3', reducedBy: 2_500, refundedBy: 0 },
      { installmentId: 'ins_4', reducedBy: 2_500, refundedBy: 0 },
    ]);
    expect(result.installments[1]).toMatchObject({
      id: 'ins_2',
      amount: 2_500,
      status: 'paid',
      refunded: 1_000,
    });
    expect(result).toMatchObject({ reduced: 5_000, refunded: 1_000 });
    // The input is not mutated.
    expect(installments[1]).toEqual({ id: 'ins_2', amount: 2_500, status: 'paid' });
  });

  it('counts earlier refunds on paid installments and refunds everything exactly', () => {
    const installments: RefundableInstallment[] = [
      { id: 'a', amount: 2_503, status: 'paid', refunded: 3 },
      { id: 'b', amount: 2_500, status: 'paid', refunded: 2_500 },
      { id: 'c', amount: 2_500, status: 'cancelled' },
    ];
    expect(refundCapacity(installments)).toEqual({ refundable: 2_500, inFlight: 0 });
    const result = applyRefund(installments, 2_500);
    expect(result.lines.map((line) => line.refundedBy)).toEqual([2_500, 0, 0]);
    expect(result.installments[0]?.refunded).toBe(2_503);
  });

  it('rejects a refund larger than what is refundable with 422', () => {
    expect(apiError(() => applyRefund(plan(['paid', 'pending']), 5_001))).toMatchObject({
      status: 422,
      code: 'refund_exceeds_refundable',
      param: 'amount',
    });
    expect(apiError(() => applyRefund(plan(['cancelled']), 1)).code).toBe('refund_exceeds_refundable');
  });

  it('asks to retry (409) when only an in-flight charge would cover the refund', () => {
    expect(apiError(() => applyRefund(plan(['paid', 'charging']), 3_000))).toMatchObject({
      status: 409,
      code: 'installment_charging',
    });
    // Within reach of the settled installments, the in-flight one is simply left alone.
    expect(applyRefund(plan(['paid', 'charging', 'pending']), 3_000).lines.map((l) => l.reducedBy)).toEqual([
      0, 0, 2_500,
    ]);
  });

  it('rejects malformed refund amounts and inconsistent installments', () => {
    expect(apiError(() => applyRefund(plan(['pending']), 0))).toMatchObject({ status: 422, param: 'amount' });
    expect(apiError(() => applyRefund(plan(['pending']), 1.5))).toMatchObject({
      status: 400,
      param: 'amount',
    });
    expect(apiError(() => applyRefund([{ id: 'x', amount: -1, status: 'pending' }], 1)).param).toBe(
      'installments[0].amount',
    );
    expect(
      apiError(() => applyRefund([{ id: 'x', amount: 10, status: 'paid', refunded: 11 }], 1)).param,
    ).toBe('installments[0].refunded');
  });
});

describe('properties', () => {
  const installmentArb = fc.record({
    amount: fc.integer({ min: 0, max: 1_000_000 }),
    status: fc.constantFrom<InstallmentStatus>('pending', 'due', 'charging', 'paid', 'failed', 'cancelled'),
    refundedShare: fc.integer({ min: 0, max: 100 }),
  });
  const scenarioArb = fc
    .array(installmentArb, { minLength: 1, maxLength: 12 })
    .map((rows) =>
      rows.map(
        (row, index): RefundableInstallment => ({
          id: `ins_${index}`,
          amount: row.amount,
          status: row.status,
          ...(row.status === 'paid' ? { refunded: Math.floor((row.amount * row.refundedShare) / 100) } : {}),
        }),
      ),
    )
    .chain((installments) => {
      const max = refundCapacity(installments).refundable;
      return fc.record({
        installments: fc.constant(installments),
        refund: max < 1 ? fc.constant(1) : fc.oneof(fc.constant(max), fc.integer({ min: 1, max })),
      });
    });

  it('conserves money, never goes negative and follows the last-backwards order', () => {
    fc.assert(
      fc.property(scenarioArb, ({ installments, refund }) => {
        const { refundable } = refundCapacity(installments);
        const reducible = installments
          .filter((i) => ['pending', 'due', 'failed'].includes(i.status))
          .reduce((sum, i) => sum + i.amount, 0);
        if (refund > refundable) {
          expect(() => applyRefund(installments, refund)).toThrow(ApiError);
          return;
        }
        const result = applyRefund(installments, refund);
        const reducedTotal = result.lines.reduce((sum, line) => sum + line.reducedBy, 0);
        const refundedTotal = result.lines.reduce((sum, line) => sum + line.refundedBy, 0);
        expect(reducedTotal + refundedTotal).toBe(refund);
        expect(result.reduced).toBe(reducedTotal);
        expect(result.refunded).toBe(refundedTotal);
        // Collected money only comes back once every unpaid installment is reduced to nothing.
        if (refundedTotal > 0) expect(reducedTotal).toBe(reducible);

        result.installments.forEach((after, index) => {
          const before = installments[index];
          const line = result.lines[index];
          if (!before || !line) throw new Error('length mismatch');
          expect(after.amount).toBeGreaterThanOrEqual(0);
          expect(line.reducedBy).toBeGreaterThanOrEqual(0);
          expect(line.refundedBy).toBeGreaterThanOrEqual(0);
          expect(after.amount).toBe(before.amount - line.reducedBy);
          expect(after.refunded ?? 0).toBe((before.refunded ?? 0) + line.refundedBy);
          expect(after.refunded ?? 0).toBeLessThanOrEqual(after.amount);
          if (line.reducedBy > 0) expect(['pending', 'due', 'failed']).toContain(before.status);
          if (line.refundedBy > 0) expect(before.status).toBe('paid');
        });

        // Last backwards: anything touched means every later installment of that kind was exhausted.
        result.lines.forEach((line, index) => {
          for (const later of result.installments.slice(index + 1)) {
            if (line.reducedBy > 0 && ['pending', 'due', 'failed'].includes(later.status)) {
              expect(later.amount).toBe(0);
            }
            if (line.refundedBy > 0 && later.status === 'paid') expect(later.refunded).toBe(later.amount);
          }
        });
      }),
      { numRuns: 500 },
    );
  });

  it('rejects every refund above the refundable amount', () => {
    fc.assert(
      fc.property(scenarioArb, fc.integer({ min: 1, max: 1_000 }), ({ installments }, excess) => {
        const { refundable, inFlight } = refundCapacity(installments);
        const error = apiError(() => applyRefund(installments, refundable + inFlight + excess));
        expect(error).toMatchObject({ status: 422, code: 'refund_exceeds_refundable' });
      }),
    );
  });
});

describe('interest-bearing installments (ADR 0012)', () => {
  /** A monthly capture's installments, the first `paid` ones collected. */
  const monthly = (principal: number, aprBps: number, months: number, paid = 0): RefundableInstallment[] =>
    amortize(principal, aprBps, months).rows.map((row, index) => ({
      id: `ins_${row.seq}`,
      amount: row.payment,
      principal: row.principal,
      interest: row.interest,
      status: index < paid ? 'paid' : 'due',
    }));
  const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

  it('USD 400.00 over 12 months at 14.99%: a full refund takes off all 43322, interest included', () => {
    const installments = monthly(40_000, 1_499, 12);
    expect(sum(installments.map((i) => i.amount))).toBe(43_322);
    expect(refundCapacity(installments)).toEqual({ refundable: 40_000, inFlight: 0 });
    expect(apiError(() => applyRefund(installments, 40_001, 1_499))).toMatchObject({
      status: 422,
      code: 'refund_exceeds_refundable',
    });
    const result = applyRefund(installments, 40_000, 1_499);
    expect(result).toMatchObject({ reduced: 43_322, refunded: 0 });
    expect(result.installments.every((i) => i.amount === 0 && i.interest === 0)).toBe(true);
  });

  it('a full refund after a payment returns that payment whole, its interest too', () => {
    const installments = monthly(40_000, 1_499, 12, 1);
    const first = installments[0];
    const result = applyRefund(installments, 40_000, 1_499);
    expect(result.refunded).toBe(first?.amount);
    expect(result.installments[0]?.refunded).toBe(first?.amount);
    expect(result.reduced).toBe(43_322 - (first?.amount ?? 0));
  });

  it('a partial refund takes principal from the last installments and recomputes interest on what remains', () => {
    const installments = monthly(40_000, 1_499, 12);
    const result = applyRefund(installments, 10_000, 1_499);
    expect(sum(result.installments.map((i) => i.principal))).toBe(30_000);
    // The principal scheduled from each period on, and the interest on it, as the schedule rounds it.
    let balance = 0;
    for (let index = result.installments.length - 1; index >= 0; index -= 1) {
      const after = result.installments[index];
      const before = installments[index];
      if (!after || !before) throw new Error('length');
      balance += after.principal;
      expect(after.interest).toBe(Math.min(before.interest ?? 0, monthlyInterest(balance, 1_499)));
      expect(after.amount).toBe(after.principal + after.interest);
    }
    expect(result.reduced).toBe(43_322 - sum(result.installments.map((i) => i.amount)));
    expect(result.reduced).toBeGreaterThan(10_000);
  });

  it('a late fee on an unpaid installment stays owed through a partial refund, and goes with a full one', () => {
    const installments = monthly(40_000, 1_499, 12).map((i, index) =>
      index === 0 ? { ...i, amount: i.amount + 700, status: 'failed' as const } : i,
    );
    const partial = applyRefund(installments, 5_000, 1_499);
    const first = partial.installments[0];
    expect(first?.amount).toBe((first?.principal ?? 0) + (first?.interest ?? 0) + 700);
    expect(applyRefund(installments, 40_000, 1_499).installments[0]?.amount).toBe(0);
  });

  it('property: any refund sequence up to the principal owes less each time and ends owing nothing', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2_000_000 }),
        fc.constantFrom(0, 1_499, 3_600),
        fc.integer({ min: 3, max: 36 }),
        fc.integer({ min: 0, max: 36 }),
        fc.array(fc.integer({ min: 1, max: 100 }), { minLength: 1, maxLength: 6 }),
        (principal, aprBps, months, paidCount, shares) => {
          let installments: RefundableInstallment[] = monthly(principal, aprBps, months, paidCount);
          let left = principal;
          for (const share of [...shares, 100]) {
            const amount = Math.max(1, Math.floor((left * share) / 100));
            if (left === 0) break;
            const result = applyRefund(installments, amount, aprBps);
            result.installments.forEach((after, index) => {
              const before = installments[index];
              if (!before) throw new Error('length');
              expect(after.amount).toBeGreaterThanOrEqual(0);
              if (before.status !== 'paid') expect(after.amount).toBeLessThanOrEqual(before.amount);
              expect(after.interest).toBeLessThanOrEqual(before.interest ?? 0);
              expect(after.refunded ?? 0).toBeLessThanOrEqual(after.amount);
            });
            left -= amount;
            expect(refundCapacity(result.installments).refundable).toBe(left);
            installments = result.installments;
          }
          // Refunded in full: nothing owed, every collected unit returned.
          for (const i of installments) {
            if (i.status === 'paid') expect(i.refunded).toBe(i.amount);
            else expect(i.amount).toBe(0);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
