import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_PLAN_CATALOGUE, nextLateFee, planFees } from '../../functions/installments/plans.ts';
import { CURRENCY_CODES, CURRENCY_EXPONENTS } from '../../functions/lib/money.ts';
import { lateFeeDay, lateFeeParking } from '../../functions/orders/late-fees.ts';
import type { InstallmentRecord, OrderRecord } from '../../functions/orders/model.ts';

const order = (over: Partial<OrderRecord> = {}) =>
  ({ id: 'ord_1', plan: 'pay_in_4', currency: 'USD', capturedAmount: 4_000, ...over }) as OrderRecord;
const installment = (over: Partial<InstallmentRecord> = {}) =>
  ({ id: 'ins_1', dueDate: '2026-03-02', status: 'failed', ...over }) as InstallmentRecord;

describe('late-fee terms', () => {
  it('default: USD 7.00 after 10 days unpaid, at most 25% of the order, for every plan', () => {
    for (const plan of DEFAULT_PLAN_CATALOGUE.plans) {
      expect(planFees(plan.id)).toMatchObject({ lateFeeAfterDays: 10, lateFeeCapBps: 2_500 });
      expect(planFees(plan.id).lateFee.USD).toBe(700);
    }
  });

  it('is published for every currency, in its minor units (JPY has no decimals, KWD three)', () => {
    const { lateFee } = DEFAULT_PLAN_CATALOGUE.fees;
    for (const code of CURRENCY_CODES) expect(lateFee[code]).toBeGreaterThan(0);
    expect(CURRENCY_EXPONENTS.JPY).toBe(0);
    expect(lateFee.JPY).toBe(1_050);
    expect(lateFee.KWD).toBe(2_100);
  });

  it('a plan may carry its own terms', () => {
    const catalogue = {
      ...DEFAULT_PLAN_CATALOGUE,
      plans: DEFAULT_PLAN_CATALOGUE.plans.map((p) =>
        p.id === 'monthly'
          ? { ...p, fees: { lateFee: { USD: 1_500 }, lateFeeCapBps: 1_000, lateFeeAfterDays: 15 } }
          : p,
      ),
    };
    expect(planFees('monthly', catalogue).lateFee.USD).toBe(1_500);
    expect(planFees('pay_in_4', catalogue)).toBe(catalogue.fees);
  });

  it('fees on one order never add up past the cap, whatever the sequence of misses', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000_000 }),
        fc.integer({ min: 0, max: 40 }),
        (amount, misses) => {
          let charged = 0;
          for (let i = 0; i < misses; i += 1) {
            const fee = nextLateFee(amount, 'USD', charged);
            expect(fee).toBeGreaterThanOrEqual(0);
            charged += fee;
          }
          expect(charged).toBeLessThanOrEqual(Math.floor((amount * 2_500) / 10_000));
        },
      ),
    );
  });
});

describe('when a late fee falls due', () => {
  it('on the due date + lateFeeAfterDays', () => {
    expect(lateFeeDay(order(), installment())).toBe('2026-03-12');
  });

  it('parks an installment not charged again on its fee day, never before tomorrow', () => {
    expect(lateFeeParking(order(), installment(), new Date('2026-03-09T10:00:00Z'))).toMatchObject({
      lateFeeOn: '2026-03-12',
      dueSk: 'ins_1',
    });
    expect(lateFeeParking(order(), installment(), new Date('2026-03-20T10:00:00Z'))?.lateFeeOn).toBe(
      '2026-03-21',
    );
  });

  it('nothing is parked once the installment bears its fee, or on a disputed order', () => {
    const now = new Date('2026-03-09T10:00:00Z');
    expect(lateFeeParking(order(), installment({ lateFee: 700 }), now)).toBeUndefined();
    expect(lateFeeParking(order({ disputed: true }), installment(), now)).toBeUndefined();
  });
});
