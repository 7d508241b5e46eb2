/**
 * How a refund lands on one capture's installments. A refund is an amount of the PURCHASE (what the
 * merchant captured, i.e. principal), never of interest. The rule:
 * 1. reduce the principal the shopper still owes, from the LAST unpaid installment backwards;
 * 2. only when no unpaid principal is left, return principal already collected, from the LAST paid
 *    installment backwards;
 * 3. interest follows the principal (12 CFR 1026.4(a): the finance charge is the cost of the
 *    credit): every unpaid installment's interest is recomputed on the principal that
 *    remains scheduled for its period (the schedule's own `monthlyInterest`, never more than before),
 *    so no unpaid period charges interest on refunded principal;
 * 4. a capture refunded in full owes nothing at all: unpaid interest is waived and interest already
 *    collected is returned to the card with the principal (the shopper pays no finance charge on a
 *    purchase that was fully refunded). See docs/adr/0012-refunds-and-interest.md.
 * Anything else an unpaid installment owes (a late fee: amount - principal - interest) stays owed,
 * except under step 4. Interest-free plans reduce to steps 1 and 2. Pure integer arithmetic;
 * nothing goes negative.
 */
import { conflict, unprocessable } from '../lib/errors.ts';
import { assertMinorUnits } from '../lib/money.ts';
import { monthlyInterest } from './amortization.ts';

export type InstallmentStatus = 'pending' | 'due' | 'charging' | 'paid' | 'failed' | 'cancelled';

export interface RefundableInstallment {
  id: string;
  /** Minor units: still to collect when unpaid, collected when paid (principal + interest). */
  amount: number;
  /** The part of `amount` repaying principal; `amount` when absent (an interest-free installment). */
  principal?: number;
  /** The part of `amount` that is interest; 0 when absent. */
  interest?: number;
  status: InstallmentStatus;
  /** Minor units already returned from a paid installment by earlier refunds. */
  refunded?: number;
}

export interface RefundLine {
  installmentId: string;
  /** Taken off an unpaid installment (principal and the interest that followed it). */
  reducedBy: number;
  /** Returned from a paid installment. */
  refundedBy: number;
}

export interface RefundResult {
  lines: RefundLine[];
  /** The installments after the refund: unpaid amounts (principal, interest) reduced, paid ones with `refunded` raised. */
  installments: Array<RefundableInstallment & { principal: number; interest: number }>;
  /** What came off what the shopper still owes, interest included. */
  reduced: number;
  /** What goes back to the card, interest included when the capture is refunded in full. */
  refunded: number;
}

/** Unpaid and still collectable: these can be reduced. A `charging` one is in flight and is left alone. */
const REDUCIBLE: ReadonlySet<InstallmentStatus> = new Set(['pending', 'due', 'failed']);

const principalOf = (i: RefundableInstallment) => i.principal ?? i.amount;
/** Principal already returned from a paid installment (refunds return principal first). */
const returnedPrincipal = (i: RefundableInstallment) => Math.min(i.refunded ?? 0, principalOf(i));

/** Principal still standing on an installment: owed, in flight, or collected and not returned. */
function standingPrincipal(i: RefundableInstallment): number {
  if (REDUCIBLE.has(i.status) || i.status === 'charging') return principalOf(i);
  if (i.status === 'paid') return principalOf(i) - returnedPrincipal(i);
  return 0;
}

/**
 * What a refund could take, in principal (purchase) terms, before applying one: `refundable` (unpaid
 * principal plus collected principal not yet returned) and `inFlight` (principal being charged now).
 */
export function refundCapacity(installments: readonly RefundableInstallment[]): {
  refundable: number;
  inFlight: number;
} {
  let refundable = 0;
  let inFlight = 0;
  for (const installment of installments) {
    if (installment.status === 'charging') inFlight += principalOf(installment);
    else refundable += standingPrincipal(installment);
  }
  return { refundable, inFlight };
}

function validate(installments: readonly RefundableInstallment[], refundAmount: number): void {
  assertMinorUnits(refundAmount, 'amount');
  installments.forEach((installment, index) => {
    const at = `installments[${index}]`;
    assertMinorUnits(installment.amount, `${at}.amount`, { allowZero: true });
    assertMinorUnits(installment.refunded ?? 0, `${at}.refunded`, { allowZero: true });
    assertMinorUnits(principalOf(installment), `${at}.principal`, { allowZero: true });
    if ((installment.refunded ?? 0) > installment.amount || principalOf(installment) > installment.amount) {
      throw unprocessable(
        'invalid_installment',
        'An installment cannot have refunded more than it collected, nor hold more principal than its amount.',
        `${at}.refunded`,
      );
    }
  });
  const { refundable, inFlight } = refundCapacity(installments);
  if (refundAmount > refundable) {
    if (refundAmount <= refundable + inFlight) {
      throw conflict(
        'installment_charging',
        'An installment is being charged; retry the refund once it settles.',
      );
    }
    throw unprocessable(
      'refund_exceeds_refundable',
      `The refund exceeds the refundable amount of ${refundable} minor units.`,
      'amount',
    );
  }
}

/**
 * Applies a refund of `refundAmount` minor units of principal to one capture's `installments` (in
 * collection order) whose interest accrued at `aprBps` (0 for interest-free plans). Throws 422
 * `refund_exceeds_refundable` beyond the principal still standing, and 409 `installment_charging`
 * when only an in-flight charge would make it fit.
 */
export function applyRefund(
  installments: readonly RefundableInstallment[],
  refundAmount: number,
  aprBps = 0,
): RefundResult {
  validate(installments, refundAmount);
  const after = installments.map((i) => ({
    ...i,
    principal: principalOf(i),
    interest: i.interest ?? i.amount - principalOf(i),
  }));
  let remaining = refundAmount;
  // 1. Unpaid principal, last backwards.
  for (let index = after.length - 1; index >= 0 && remaining > 0; index -= 1) {
    const installment = after[index];
    if (!installment || !REDUCIBLE.has(installment.status)) continue;
    const take = Math.min(remaining, installment.principal);
    installment.principal -= take;
    remaining -= take;
  }
  // 2. Collected principal, last backwards.
  for (let index = after.length - 1; index >= 0 && remaining > 0; index -= 1) {
    const installment = after[index];
    if (installment?.status !== 'paid') continue;
    const take = Math.min(remaining, installment.principal - returnedPrincipal(installment));
    installment.refunded = (installment.refunded ?? 0) + take;
    remaining -= take;
  }
  const fullyRefunded = after.every((i) => standingPrincipal(i) === 0);
  // 3./4. Interest follows the principal still scheduled for each unpaid period.
  let balance = 0;
  for (let index = after.length - 1; index >= 0; index -= 1) {
    const installment = after[index];
    if (!installment) continue;
    balance += standingPrincipal(installment);
    if (installment.status === 'paid' && fullyRefunded) installment.refunded = installment.amount;
    if (!REDUCIBLE.has(installment.status)) continue;
    installment.interest = fullyRefunded
      ? 0
      : Math.min(installment.interest, monthlyInterest(balance, aprBps));
    // Whatever else it owes (a late fee: amount - principal - interest) stays owed, unless the
    // capture is refunded in full: then nothing at all is left to collect.
    const before = installments[index];
    const other = before ? before.amount - principalOf(before) - (before.interest ?? 0) : 0;
    installment.amount =
      installment.principal + installment.interest + (fullyRefunded ? 0 : Math.max(0, other));
  }
  const lines = installments.map((before, index) => {
    const now = after[index] ?? before;
    return {
      installmentId: before.id,
      reducedBy: REDUCIBLE.has(before.status) ? before.amount - now.amount : 0,
      refundedBy: (now.refunded ?? 0) - (before.refunded ?? 0),
    };
  });
  return {
    lines,
    installments: after,
    reduced: lines.reduce((sum, line) => sum + line.reducedBy, 0),
    refunded: lines.reduce((sum, line) => sum + line.refundedBy, 0),
  };
}
