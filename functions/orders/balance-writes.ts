/**
 * An installment's state change committed in ONE transaction with its balance ledger entry, through
 * the balance capability's face (functions/balance/credits.ts): the debit when the balance pays
 * (part of) an attempt, the reversal when that attempt's card part is declined or never charged.
 * The ledger head's condition stops an overdraft under concurrency; the installment's version and
 * status condition stops a second debit of the same attempt (and the ledger reference
 * `<installmentId>#<attempt>` is single-use besides). docs/adr/0027-installments-paid-from-the-balance.md.
 */
import { payFromBalance, returnBalancePayment } from '../balance/credits.ts';
import type { Clock } from '../lib/clock.ts';
import type { Cancellation, Transaction } from '../lib/transactions.ts';
import type { InstallmentRecord } from './model.ts';

/** How an installment write ended: written, the installment moved on (stale), or the order did. */
export type OutcomeWrite = 'written' | 'stale' | 'order_changed';

/** A lost part of the caller's transaction, carried out of the ledger's retry loop. */
class PartLost extends Error {
  readonly outcome: 'stale' | 'order_changed';
  constructor(outcome: 'stale' | 'order_changed') {
    super(outcome);
    this.outcome = outcome;
  }
}

type Parts = 'installment' | 'order' | 'card';

const partLost = (cancelled: Cancellation<Parts | 'ref' | 'entry' | 'head'>) => {
  if (cancelled.lost('installment')) return new PartLost('stale');
  // The order changed (or a concurrent transaction touched it): re-read and build again.
  if (cancelled.failed('order') || cancelled.failed('card')) return new PartLost('order_changed');
  return undefined;
};

/**
 * Runs a ledger posting with the caller's writes. `already_*` (this attempt's reference was posted
 * before, so this transaction wrote nothing) reads as `stale`: the installment moved on with it.
 */
async function reading(write: () => Promise<string>): Promise<OutcomeWrite> {
  try {
    const done = await write();
    return done === 'paid' || done === 'returned' ? 'written' : 'stale';
  } catch (error) {
    if (error instanceof PartLost) return error.outcome;
    throw error;
  }
}

const debitOf = (installment: InstallmentRecord, amount: number, attempt: number) => ({
  customerId: installment.customerId,
  amount,
  currency: installment.currency,
  reference: `${installment.id}#${attempt}`,
});

/**
 * Takes `amount` from the balance for attempt `attempt` of `installment`, with `tx` (the attempt's
 * installment and order writes). Throws 422 `insufficient_balance` when the balance is short now
 * (nothing written).
 */
export function withBalanceTaken<K extends Parts>(
  installment: InstallmentRecord,
  amount: number,
  attempt: number,
  tx: Transaction<K>,
  clock: Clock,
): Promise<OutcomeWrite> {
  return reading(() =>
    payFromBalance(debitOf(installment, amount, attempt), clock, { with: () => tx, onCancel: partLost }),
  );
}

/**
 * Gives back what the balance paid of the installment's current attempt (`balancePaid`), with `tx`
 * (its `charging -> failed | due` writes).
 */
export function withBalanceReturned<K extends Parts>(
  installment: InstallmentRecord,
  tx: Transaction<K>,
  clock: Clock,
): Promise<OutcomeWrite> {
  const credit = debitOf(installment, installment.balancePaid ?? 0, installment.attempts);
  return reading(() => returnBalancePayment(credit, clock, { with: () => tx, onCancel: partLost }));
}
