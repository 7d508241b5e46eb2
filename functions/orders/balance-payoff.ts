/**
 * `POST /v1/me/orders/{id}/balance-payments { installmentId? }`: the shopper pays an installment, or
 * everything still owed on the order, from their customer balance (functions/balance), not the card.
 *
 * Each installment is paid in full from the balance in ONE transaction with its ledger debit, the
 * order's totals and status and `installment.paid` (source `balance`): ./balance-payment.ts. The
 * balance must cover all that is asked (else 422 `insufficient_balance` and nothing moves); no
 * card is charged, so a hard-declined card does not stop it. Installments being charged right now
 * are left to that charge (`pending`). A retried request pays nothing twice: a paid installment is
 * no longer unpaid, and each debit is single-use per `<installmentId>#<attempt>`.
 * docs/adr/0027-installments-paid-from-the-balance.md.
 */
import type { Clock } from '../lib/clock.ts';
import { DomainError } from '../lib/errors.ts';
import { auditedGate } from '../lib/gate-audit.ts';
import { formatMoney } from '../lib/money.ts';
import type { Commit } from '../lib/use-case.ts';
import { balanceAvailableFor, payInFullFromBalance } from './balance-payment.ts';
import { refuseWhileDisputed } from './dispute-hold.ts';
import { type CustomerPrincipal, requireMyPartition } from './me-orders.ts';
import type { BalancePaymentBody, PayoffResponse } from './me-schema.ts';
import { toPayoff, unpaidInOrder } from './me-view.ts';
import type { InstallmentRecord, OrderPartition } from './model.ts';
import { concurrentUpdate } from './shared.ts';
import * as store from './store.ts';

const notPayable = (message: string) => new DomainError('rejected', 'order_not_payable', message);

/** The installments this request pays: the one named, or every unpaid one. */
function targets({ order, installments }: OrderPartition, installmentId?: string): InstallmentRecord[] {
  refuseWhileDisputed(order);
  if (order.status !== 'captured' && order.status !== 'in_arrears') {
    throw notPayable(`The order is ${order.status}; there is nothing to pay.`);
  }
  const unpaid = unpaidInOrder(installments);
  if (!installmentId) {
    if (unpaid.length === 0) throw notPayable('Nothing is left to pay on this order.');
    return unpaid;
  }
  const named = installments.find((i) => i.id === installmentId);
  if (!named) {
    throw new DomainError(
      'not_found',
      'resource_missing',
      `No such installment: ${installmentId}.`,
      'installmentId',
    );
  }
  if (!unpaid.includes(named))
    throw notPayable(`The installment is ${named.status}; there is nothing to pay.`);
  return [named];
}

const short = (paid: number, of: number, error: unknown) =>
  new DomainError(
    'rejected',
    'insufficient_balance',
    `${(error as Error).message} ${paid} of ${of} installments were paid from the balance.`,
    'amount',
  );

/**
 * Pays from the balance, behind the balance gate (audited as `gate.balance_payment`, lib/gate-audit.ts:
 * allowed with the request's idempotency record once paid; a refusal with its code). Refusals: not_found (order, installment); rejected `order_not_payable`,
 * `order_disputed`, `insufficient_balance` (the balance is short of the whole: nothing moved);
 * conflict `concurrent_update` (an installment changed meanwhile: retry).
 */
export async function payFromMyBalance(
  principal: CustomerPrincipal,
  id: string,
  body: BalancePaymentBody,
  commit: Commit<PayoffResponse>,
  clock: Clock,
): Promise<PayoffResponse> {
  const gate = { gate: 'balance_payment', customerId: principal.customerId, metadata: { orderId: id } };
  return auditedGate(gate, clock, async (allowed) => {
    const paid = await payInstallments(principal, id, body, clock);
    const audit = allowed({ balance: 'covered' }, { amount: paid.amount, currency: paid.currency });
    await commit([audit], paid);
    return paid;
  });
}

/** The gate (the balance covers all that is asked) and the payments; the payoff they make. */
async function payInstallments(
  principal: CustomerPrincipal,
  id: string,
  body: BalancePaymentBody,
  clock: Clock,
): Promise<PayoffResponse> {
  const chosen = targets(await requireMyPartition(principal, id), body.installmentId);
  const payable = chosen.filter((i) => i.status !== 'charging');
  const owed = payable.reduce((sum, i) => sum + i.amount, 0);
  const first = chosen[0] as InstallmentRecord;
  const available = await balanceAvailableFor(first, clock);
  if (owed > available) {
    throw new DomainError(
      'rejected',
      'insufficient_balance',
      `This needs ${formatMoney(owed, first.currency)}; your balance holds ${formatMoney(available, first.currency)}.`,
      'amount',
    );
  }
  const lines: PayoffResponse['installments'] = [];
  let paid = 0;
  for (const installment of chosen) {
    if (installment.status === 'charging') {
      // Its card charge is in flight: its outcome is recorded there (collection, a payoff).
      lines.push({ installmentId: installment.id, amount: installment.amount, status: 'pending' });
      continue;
    }
    let outcome: 'paid' | 'stale';
    try {
      outcome = await payInFullFromBalance(id, installment.id, clock);
    } catch (error) {
      if (error instanceof DomainError && error.code === 'insufficient_balance') {
        throw short(lines.length, chosen.length, error);
      }
      throw error;
    }
    if (outcome === 'stale') throw concurrentUpdate();
    paid += installment.amount;
    lines.push({ installmentId: installment.id, amount: installment.amount, status: 'paid' });
  }
  const partition = await store.getOrderPartition(id);
  if (!partition) throw concurrentUpdate();
  return toPayoff(partition, lines, paid, 'balance');
}
