/**
 * How a refund lands on an order's installments. The rule: first reduce what the shopper still owes,
 * from the LAST unpaid installment backwards; only when nothing is left to reduce, return money already
 * collected, from the LAST paid installment backwards. Pure integer arithmetic; nothing goes negative.
 */
import { conflict, unprocessable } from '../lib/errors.ts';
import { assertMinorUnits } from '../lib/money.ts';

export type InstallmentStatus = 'pending' | 'due' | 'charging' | 'paid' | 'failed' | 'cancelled';

export interface RefundableInstallment {
  id: string;
  /** Minor units: still to collect when unpaid, collected when paid. */
  amount: number;
  status: InstallmentStatus;
  /** Minor units already returned from a paid installment by earlier refunds. */
  refunded?: number;
}

export interface RefundLine {
  installmentId: string;
  /** Taken off an unpaid installment. */
  reducedBy: number;
  /** Returned from a paid installment. */
  refundedBy: number;
}

export interface RefundResult {
  lines: RefundLine[];
  /** The installments after the refund: unpaid amounts reduced, paid ones with `refunded` raised. */
  installments: RefundableInstallment[];
  reduced: number;
  refunded: number;
}

/** Unpaid and still collectable: these can be reduced. A `charging` one is in flight and is left alone. */
const REDUCIBLE: ReadonlySet<InstallmentStatus> = new Set(['pending', 'due', 'failed']);

/** What a refund could take from each side, before applying one. */
export function refundCapacity(installments: readonly RefundableInstallment[]): {
  reducible: number;
  refundable: number;
  inFlight: number;
} {
  let reducible = 0;
  let refundable = 0;
  let inFlight = 0;
  for (const installment of installments) {
    if (REDUCIBLE.has(installment.status)) reducible += installment.amount;
    else if (installment.status === 'paid') refundable += installment.amount - (installment.refunded ?? 0);
    else if (installment.status === 'charging') inFlight += installment.amount;
  }
  return { reducible, refundable, inFlight };
}

/**
 * Applies a refund of `refundAmount` minor units to `installments` (in collection order). Throws 422
 * `refund_exceeds_refundable` when it exceeds what can be reduced plus what was collected and not yet
 * refunded, and 409 `installment_charging` when only an in-flight charge would make it fit.
 */
export function applyRefund(
  installments: readonly RefundableInstallment[],
  refundAmount: number,
): RefundResult {
  assertMinorUnits(refundAmount, 'amount');
  installments.forEach((installment, index) => {
    assertMinorUnits(installment.amount, `installments[${index}].amount`, { allowZero: true });
    assertMinorUnits(installment.refunded ?? 0, `installments[${index}].refunded`, { allowZero: true });
    if ((installment.refunded ?? 0) > installment.amount) {
      throw unprocessable(
        'invalid_installment',
        'An installment cannot have refunded more than it collected.',
        `installments[${index}].refunded`,
      );
    }
  });

  const { reducible, refundable, inFlight } = refundCapacity(installments);
  if (refundAmount > reducible + refundable) {
    if (refundAmount <= reducible + refundable + inFlight) {
      throw conflict(
        'installment_charging',
        'An installment is being charged; retry the refund once it settles.',
      );
    }
    throw unprocessable(
      'refund_exceeds_refundable',
      `The refund exceeds the refundable amount of ${reducible + refundable} minor units.`,
      'amount',
    );
  }

  const lines = installments.map((installment) => ({
    installmentId: installment.id,
    reducedBy: 0,
    refundedBy: 0,
  }));
  const after = installments.map((installment) => ({ ...installment }));
  let remaining = refundAmount;

  for (let index = after.length - 1; index >= 0 && remaining > 0; index -= 1) {
    const installment = after[index];
    const line = lines[index];
    if (!installment || !line || !REDUCIBLE.has(installment.status)) continue;
    const take = Math.min(remaining, installment.amount);
    installment.amount -= take;
    line.reducedBy = take;
    remaining -= take;
  }
  for (let index = after.length - 1; index >= 0 && remaining > 0; index -= 1) {
    const installment = after[index];
    const line = lines[index];
    if (!installment || !line || installment.status !== 'paid') continue;
    const already = installment.refunded ?? 0;
    const take = Math.min(remaining, installment.amount - already);
    installment.refunded = already + take;
    line.refundedBy = take;
    remaining -= take;
  }

  return {
    lines,
    installments: after,
    reduced: Math.min(refundAmount, reducible),
    refunded: refundAmount - Math.min(refundAmount, reducible),
  };
}
