import type { Clock } from '../lib/clock.ts';
import { Transaction, writeTransaction } from '../lib/transactions.ts';
import type { ChargeRequest, ChargeResult } from '../payments/processor.ts';
import { type OutcomeWrite, withBalanceReturned } from './balance-writes.ts';
import { nextRetryDay } from './dunning.ts';
import { orderEventItems } from './events.ts';
import { lateFeeParking } from './late-fees.ts';
import { settleOrder } from './lifecycle.ts';
import type { InstallmentRecord, OrderPartition, OrderRecord, PaymentResult } from './model.ts';
import { sendChargeNotices } from './notices.ts';
import { concurrentUpdate, OPTIMISTIC_RETRIES } from './shared.ts';
import { canTransition, statusAfter } from './state.ts';
import * as store from './store.ts';
import { orderTotals } from './totals.ts';

/** The charge of an installment's current attempt: the processor key is `<installmentId>#<attempt>`. */
export function chargeRequest(installment: InstallmentRecord): ChargeRequest {
  return {
    cardToken: installment.cardToken,
    customerId: installment.customerId,
    // What the balance paid of this attempt (./balance-payment.ts) is not charged to the card.
    amount: installment.amount - (installment.balancePaid ?? 0),
    currency: installment.currency,
    idempotencyKey: `${installment.id}#${installment.attempts}`,
    reason: `installment ${installment.id} of order ${installment.orderId}`,
  };
}

/**
 * The installment after a charge outcome, and the attributes to set and remove on it: paid leaves
 * the `due` index; a hard decline leaves it too (arrears); a soft decline is indexed for the next day
 * of the dunning schedule (orders/dunning.ts), or leaves the index once the schedule is spent.
 */
function chargedInstallment(
  order: OrderRecord,
  installment: InstallmentRecord,
  result: PaymentResult,
  now: Date,
): { changed: InstallmentRecord; set: Record<string, unknown>; remove: string[] } {
  const at = now.toISOString();
  const bumped = { version: installment.version + 1, updatedAt: at };
  if (result.status === 'succeeded') {
    const {
      duePk: _p,
      dueSk: _s,
      chargingSince: _c,
      failureCode: _f,
      hardDecline: _h,
      lateFeeOn: _l,
      ...rest
    } = installment;
    const charge = result.chargeId ? { chargeId: result.chargeId } : {};
    return {
      set: { status: 'paid', paidAt: at, ...charge },
      remove: ['duePk', 'dueSk', 'chargingSince', 'failureCode', 'hardDecline', 'lateFeeOn'],
      changed: { ...rest, status: 'paid', paidAt: at, ...charge, ...bumped },
    };
  }
  // A decline: what the balance paid of this attempt goes back to it (./balance-payment.ts).
  const { balancePaid: _b, ...unpaid } = installment;
  const declined = declinedInstallment(order, unpaid, result, now);
  return installment.balancePaid ? { ...declined, remove: [...declined.remove, 'balancePaid'] } : declined;
}

function declinedInstallment(
  order: OrderRecord,
  installment: InstallmentRecord,
  result: Extract<ChargeResult, { status: 'failed' }>,
  now: Date,
): { changed: InstallmentRecord; set: Record<string, unknown>; remove: string[] } {
  const at = now.toISOString();
  const bumped = { version: installment.version + 1, updatedAt: at };
  // Not charged again (hard decline, or retries spent): out of the index, or parked there on the
  // day its late fee falls due (orders/late-fees.ts).
  if (result.hard) {
    const { duePk: _p, dueSk: _s, chargingSince: _c, ...rest } = installment;
    const parked = lateFeeParking(order, installment, now);
    return {
      set: { status: 'failed', failureCode: result.code, hardDecline: true, ...parked },
      remove: parked ? ['chargingSince'] : ['duePk', 'dueSk', 'chargingSince'],
      changed: {
        ...rest,
        status: 'failed',
        failureCode: result.code,
        hardDecline: true,
        ...parked,
        ...bumped,
      },
    };
  }
  // Dunning: the next day of the retry schedule, or (retries spent) out of the index: arrears.
  const retryDay = nextRetryDay(installment, now);
  const index = retryDay ? store.dueIndex(installment.id, retryDay) : lateFeeParking(order, installment, now);
  const { chargingSince: _c, duePk: _p, dueSk: _s, ...rest } = installment;
  return {
    set: { status: 'failed', failureCode: result.code, hardDecline: false, ...index },
    remove: index ? ['chargingSince'] : ['duePk', 'dueSk', 'chargingSince'],
    changed: { ...rest, status: 'failed', failureCode: result.code, hardDecline: false, ...index, ...bumped },
  };
}

/**
 * The writes of a payment outcome on `installment` as read in `partition`: the installment
 * (conditioned on its version and status; `extra` sets more on it), the order's totals and status,
 * and `installment.paid` / `installment.failed`, as one transaction's parts.
 */
export function outcomeWrites(
  partition: OrderPartition,
  installment: InstallmentRecord,
  result: PaymentResult,
  clock: Clock,
  extra: Record<string, unknown> = {},
): Transaction<'installment' | 'order'> {
  const { order } = partition;
  const now = clock.now();
  const at = now.toISOString();
  const outcome = chargedInstallment(order, installment, result, now);
  const set = { ...outcome.set, ...extra };
  const changed = { ...outcome.changed, ...extra } as InstallmentRecord;
  const installmentsAfter = partition.installments.map((i) => (i.id === installment.id ? changed : i));
  const totals = orderTotals(partition.captures, installmentsAfter);
  const provisional = { ...order, ...totals };
  const status = statusAfter('charge', order, provisional, installmentsAfter, now);
  const after: OrderRecord = { ...provisional, status, version: order.version + 1, updatedAt: at };
  const tx = new Transaction<'installment' | 'order'>().add(
    'installment',
    store.installmentUpdateItem(installment, set, at, outcome.remove),
  );
  if (canTransition(order.status, status)) {
    tx.add(
      'order',
      store.orderTransitionItem(order, status, totals, at),
      ...orderEventItems(
        result.status === 'succeeded' ? 'installment.paid' : 'installment.failed',
        after,
        clock,
        changed,
      ),
    );
  }
  return tx;
}

/** Writes `tx` (of `outcomeWrites`), reading a cancellation by its parts. */
async function writeOutcome(tx: Transaction<'installment' | 'order'>): Promise<OutcomeWrite> {
  try {
    await writeTransaction(tx.items);
    return 'written';
  } catch (error) {
    const cancelled = tx.cancellation(error);
    if (!cancelled) throw error;
    return cancelled.lost('installment') ? 'stale' : 'order_changed';
  }
}

/**
 * Records a charge outcome: installment `charging -> paid | failed` (conditional on the attempt), the
 * order's totals and status, and `installment.paid` / `installment.failed`, in one transaction. A soft
 * decline goes back in the `due` index for its next retry day; a hard decline, or a soft one with
 * no retry left, leaves the index. A decline of an attempt the balance paid part of gives that part
 * back to the balance in the same transaction (./balance-payment.ts). Then settles the order
 * (`order.paid_off` or `order.in_arrears`). Returns `stale` when the installment is no longer
 * `charging` at `attempt`; throws conflict `concurrent_update` after OPTIMISTIC_RETRIES lost races.
 */
export async function recordChargeOutcome(
  orderId: string,
  installmentId: string,
  attempt: number,
  result: ChargeResult,
  clock: Clock,
): Promise<'recorded' | 'stale'> {
  for (let round = 0; round < OPTIMISTIC_RETRIES; round += 1) {
    const partition = await store.getOrderPartition(orderId);
    const installment = partition?.installments.find((i) => i.id === installmentId);
    if (!partition || !installment || installment.status !== 'charging' || installment.attempts !== attempt) {
      return 'stale';
    }
    const tx = outcomeWrites(partition, installment, result, clock);
    const written =
      result.status === 'failed' && installment.balancePaid
        ? await withBalanceReturned(installment, tx, clock)
        : await writeOutcome(tx);
    if (written === 'stale') return 'stale';
    if (written === 'order_changed') continue;
    await settleOrder(orderId, clock);
    await sendChargeNotices(orderId, installmentId, attempt, result, partition.order.status, clock.now());
    return 'recorded';
  }
  throw concurrentUpdate();
}
