/**
 * Installments paid from the customer's balance (issue 11; docs/adr/0027-installments-paid-from-the-balance.md).
 *
 * - In full (`payInFullFromBalance`): installment `due | failed -> paid` at the next attempt, with
 *   `balancePaid` = its amount and no card charge; the ledger debit (reference
 *   `<installmentId>#<attempt>`), the order's totals and status and `installment.paid` commit in ONE
 *   transaction conditioned on the ledger head (no overdraft) and on the installment's version and
 *   status (no second debit). A shopper's payoff with `source: 'balance'` pays this way, and so does
 *   collection when the balance covers the installment.
 * - In part (collection, ./claim.ts): the claim `-> charging` takes what the balance holds with the
 *   debit in the same transaction; the card is charged the rest under the attempt's key; a decline
 *   (or a charge that never reached the processor, ./collect.ts) gives the part back with the
 *   `charging -> failed | due` change, in one transaction (./balance-writes.ts).
 */
import { availableBalance } from '../balance/credits.ts';
import type { Clock } from '../lib/clock.ts';
import { ApiError } from '../lib/errors.ts';
import { Transaction, writeUnlessCancelled } from '../lib/transactions.ts';
import { withBalanceReturned, withBalanceTaken } from './balance-writes.ts';
import { outcomeWrites } from './charge.ts';
import { settleOrder } from './lifecycle.ts';
import type { InstallmentRecord } from './model.ts';
import { sendChargeNotices } from './notices.ts';
import { concurrentUpdate, OPTIMISTIC_RETRIES } from './shared.ts';
import * as store from './store.ts';

/** What the balance (in the installment's currency) holds now, minor units. */
export const balanceAvailableFor = (
  installment: Pick<InstallmentRecord, 'customerId' | 'currency'>,
  clock: Clock,
) => availableBalance(installment.customerId, installment.currency, clock);

/**
 * Pays the whole of an unpaid (`due` or `failed`) installment from the balance. Returns `paid`, or
 * `stale` when the installment is no longer unpaid as read (paid, charging or changed elsewhere:
 * nothing moved). Throws 422 `insufficient_balance` when the balance does not cover it (nothing
 * written); conflict `concurrent_update` after OPTIMISTIC_RETRIES lost races on the order.
 */
export async function payInFullFromBalance(
  orderId: string,
  installmentId: string,
  clock: Clock,
): Promise<'paid' | 'stale'> {
  for (let round = 0; round < OPTIMISTIC_RETRIES; round += 1) {
    const partition = await store.getOrderPartition(orderId);
    const installment = partition?.installments.find((i) => i.id === installmentId);
    if (!partition || (installment?.status !== 'due' && installment?.status !== 'failed')) return 'stale';
    const attempt = installment.attempts + 1;
    const paid = { attempts: attempt, balancePaid: installment.amount };
    const tx = outcomeWrites(partition, installment, { status: 'succeeded' }, clock, paid);
    const written = await withBalanceTaken(installment, installment.amount, attempt, tx, clock);
    if (written === 'stale') return 'stale';
    if (written === 'order_changed') continue;
    await settleOrder(orderId, clock);
    await sendChargeNotices(
      orderId,
      installmentId,
      attempt,
      { status: 'succeeded' },
      partition.order.status,
      clock.now(),
    );
    return 'paid';
  }
  throw concurrentUpdate();
}

/** `payInFullFromBalance`, answering `short` (nothing moved) where that throws `insufficient_balance`. */
export async function tryPayInFullFromBalance(
  orderId: string,
  installmentId: string,
  clock: Clock,
): Promise<'paid' | 'stale' | 'short'> {
  try {
    return await payInFullFromBalance(orderId, installmentId, clock);
  } catch (error) {
    if (error instanceof ApiError && error.code === 'insufficient_balance') return 'short';
    throw error;
  }
}

/**
 * Releases an installment left `charging` by a charge that never reached the processor (the
 * reconciler, ./collect.ts): back to `due`, with what the balance paid of that attempt given back in
 * the same transaction. False when it changed meanwhile (nothing written).
 */
export async function releaseUncharged(installment: InstallmentRecord, clock: Clock): Promise<boolean> {
  const at = clock.now().toISOString();
  const remove = ['chargingSince', ...(installment.balancePaid ? ['balancePaid'] : [])];
  const item = store.installmentUpdateItem(installment, { status: 'due' }, at, remove);
  if (!installment.balancePaid) return writeUnlessCancelled([item]);
  const tx = new Transaction<'installment'>().add('installment', item);
  return (await withBalanceReturned(installment, tx, clock)) === 'written';
}
