/**
 * `POST /v1/me/orders/{id}/payoff`: the shopper pays everything still owed, now.
 *
 * A payoff collects the unpaid installments one by one under the exactly-once rules of collection
 * (ARCHITECTURE.md, Collection; ./collect.ts): each is claimed `due | failed -> charging` with the
 * next attempt number by a conditional write on its version and handed to the charger (the only
 * function that may detokenize a card, ./charge-requests.ts), which charges it with the processor
 * key `<installmentId>#<attempt>` and records `charging -> paid | failed` conditioned on that attempt
 * (./charge.ts), settling the order (`order.paid_off` once nothing is left). This request waits for
 * each outcome up to PAYOFF_WAIT_MS; past that it answers `processing` and the outcome arrives as
 * webhooks and a receipt, and the installments after it are left for another payoff. A claimed installment is indexed under today, so a lost charge request is
 * settled by the reconciler on a later run from the processor's record, never by charging again.
 * Installments in dunning (failed, a retry pending) are paid the same way.
 *
 * The first decline stops the payoff (402): nothing more is charged, what was paid stays paid, and
 * the declined installment follows dunning like any decline. The per-card retry window of collection
 * is not counted here: a payoff is a charge the shopper starts, not a retry.
 */
import { type Clock, isoDay } from '../lib/clock.ts';
import { type CodeOfKind, DomainError } from '../lib/errors.ts';
import { isCancellation, writeTransaction } from '../lib/transactions.ts';
import type { Commit } from '../lib/use-case.ts';
import { requestCharges } from './charge-requests.ts';
import { refuseWhileDisputed } from './dispute-hold.ts';
import { type CustomerPrincipal, requireMyPartition } from './me-orders.ts';
import type { PayoffResponse } from './me-schema.ts';
import { toPayoff, unpaidInOrder } from './me-view.ts';
import type { InstallmentRecord, OrderPartition } from './model.ts';
import { concurrentUpdate } from './shared.ts';
import * as store from './store.ts';

const refused = (code: CodeOfKind<'rejected'>, message: string) => new DomainError('rejected', code, message);

/** Refuses an order with nothing a payoff could collect, or whose card may not be charged again. */
function checkPayable({ order, installments }: OrderPartition): InstallmentRecord[] {
  refuseWhileDisputed(order);
  if (order.status !== 'captured' && order.status !== 'in_arrears') {
    throw refused(
      'order_not_payable',
      order.status === 'paid_off'
        ? 'The order is already paid off.'
        : `The order is ${order.status}; there is nothing to pay.`,
    );
  }
  const unpaid = unpaidInOrder(installments);
  if (unpaid.length === 0) throw refused('order_not_payable', 'Nothing is left to pay on this order.');
  if (unpaid.some((i) => i.hardDecline)) {
    // A lost, stolen or closed card is never charged again (ARCHITECTURE.md, Collection).
    throw refused(
      'card_declined_hard',
      'The card of this order was declined for good; set another card (PUT /v1/me/orders/{id}/card) first.',
    );
  }
  return unpaid;
}

/**
 * Claims `installment` for this payoff (`charging` at the next attempt, indexed under today): the
 * claimed installment, or undefined when another request changed it first.
 */
async function claimForPayoff(
  installment: InstallmentRecord,
  now: Date,
): Promise<InstallmentRecord | undefined> {
  const at = now.toISOString();
  const claimed = {
    status: 'charging' as const,
    attempts: installment.attempts + 1,
    chargingSince: at,
    ...store.dueIndex(installment.id, isoDay(now)),
  };
  try {
    await writeTransaction([store.installmentUpdateItem(installment, claimed, at)]);
  } catch (error) {
    if (isCancellation(error)) return undefined;
    throw error;
  }
  return { ...installment, ...claimed, version: installment.version + 1, updatedAt: at };
}

/** How long a payoff waits for the charger's outcome of one installment before answering `processing`. */
export const PAYOFF_WAIT_MS = 8_000;
let waitMs = PAYOFF_WAIT_MS;
/** Tests shorten the wait (a charger that does not answer); `undefined` restores PAYOFF_WAIT_MS. */
export function setPayoffWaitMs(ms: number | undefined): void {
  waitMs = ms ?? PAYOFF_WAIT_MS;
}

/**
 * The installment once its charge at `attempt` has an outcome (no longer `charging` at it), or as it
 * stands when the wait (PAYOFF_WAIT_MS) ran out. Polls the order partition (one Query per look), backing off
 * from 50 ms to 1 s; real time, not the injected clock: this waits for another function.
 */
async function awaitOutcome(
  orderId: string,
  installmentId: string,
  attempt: number,
): Promise<InstallmentRecord | undefined> {
  const deadline = performance.now() + waitMs;
  let pause = 50;
  for (;;) {
    const now = find(await store.getOrderPartition(orderId), installmentId);
    const pending = now?.status === 'charging' && now.attempts === attempt;
    if (!pending || performance.now() + pause > deadline) return now;
    await new Promise((resolve) => setTimeout(resolve, pause));
    pause = Math.min(pause * 2, 1_000);
  }
}

const find = (partition: OrderPartition | undefined, id: string) =>
  partition?.installments.find((i) => i.id === id);

/**
 * Pays off the customer's order. Refusals: not_found (not the customer's); rejected
 * `order_not_payable`, `card_declined_hard`; declined `card_declined` (402, the processor's code in
 * the message); conflict `concurrent_update` (the schedule changed meanwhile: retry).
 */
export async function payoff(
  principal: CustomerPrincipal,
  id: string,
  commit: Commit<PayoffResponse>,
  clock: Clock,
): Promise<PayoffResponse> {
  const unpaid = checkPayable(await requireMyPartition(principal, id));
  const lines: PayoffResponse['installments'] = [];
  let charged = 0;
  for (const installment of unpaid) {
    // Charging elsewhere (a collection run, the capture): its outcome is recorded there.
    const claimed =
      installment.status === 'charging' ? undefined : await claimForPayoff(installment, clock.now());
    const mine = claimed !== undefined;
    if (claimed) await requestCharges([claimed], clock.now());
    const now = claimed
      ? await awaitOutcome(id, claimed.id, claimed.attempts)
      : find(await store.getOrderPartition(id), installment.id);
    if (now?.status === 'paid') {
      if (mine) charged += now.amount;
      lines.push({ installmentId: installment.id, amount: now.amount, status: 'paid' });
    } else if (now?.status === 'charging') {
      lines.push({ installmentId: installment.id, amount: now.amount, status: 'pending' });
      // Our own charge has no outcome yet: charging the next one could outrun a decline of this one.
      if (mine) break;
    } else if (mine && now?.status === 'failed') {
      const paid = lines.filter((l) => l.status === 'paid').length;
      throw new DomainError(
        'declined',
        'card_declined',
        `The card was declined (${now.failureCode ?? 'card_declined'}); nothing more was charged. ` +
          `${paid} of ${unpaid.length} installments were paid.`,
      );
    } else if (now?.status !== 'cancelled') {
      // Changed by another request between the read and the claim (a refund, a card change).
      throw concurrentUpdate();
    }
  }
  const outcome = toPayoff(await requireMyPartition(principal, id), lines, charged, 'card');
  await commit([], outcome);
  return outcome;
}
