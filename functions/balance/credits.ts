/**
 * The balance capability's face: how other capabilities put money into (or take it from) a
 * customer's balance without touching its ledger.
 *
 * Orders (refunds of money already collected: what the balance paid, or what could not go back to
 * the card; reason `refund`) and disputes (a fraud-confirmed dispute gives back what the balance had
 * paid; reason `dispute`, reference the dispute id) add `balanceCreditItem` to their OWN transaction:
 * an inbox item, keyed by reason and reference, so the credit happens exactly once with the change
 * that caused it and never conflicts with a concurrent withdrawal. The balance posts inbox items to the ledger (`applyBalanceCredits`)
 * before every read and every withdrawal, so a credit is visible from the next request on.
 *
 * Orders pay installments from the balance through `availableBalance`, `payFromBalance` and
 * `returnBalancePayment`: each posts one ledger entry in ONE transaction with the order's own writes
 * (docs/adr/0027-installments-paid-from-the-balance.md).
 */
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Clock } from '../lib/clock.ts';
import { ddb, tableName } from '../lib/dynamodb.ts';
import { logger } from '../lib/logger.ts';
import type { CurrencyCode } from '../lib/money.ts';
import {
  type Cancellation,
  type TransactItem,
  Transaction,
  writeUnlessCancelled,
} from '../lib/transactions.ts';
import { balanceOf, type LedgerEntry, post } from './ledger.ts';

export interface BalanceCredit {
  customerId: string;
  /** Positive minor units. */
  amount: number;
  currency: CurrencyCode;
  reason: 'refund' | 'dispute';
  /** The refund or dispute id: one credit per reference. */
  reference: string;
}

const inboxKey = (credit: Pick<BalanceCredit, 'customerId' | 'reason' | 'reference'>) => ({
  pk: `BALANCE#${credit.customerId}`,
  sk: `INBOX#${credit.reason}#${credit.reference}`,
});

/** A credit to the customer's balance, to commit in the caller's transaction (once per reference). */
export function balanceCreditItem(credit: BalanceCredit, at: Date): TransactItem {
  return {
    Put: {
      TableName: tableName(),
      Item: { ...inboxKey(credit), type: 'balanceInbox', ...credit, createdAt: at.toISOString() },
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  };
}

/** Posts the customer's pending credits to the ledger (idempotent: a posted credit leaves the inbox). */
export async function applyBalanceCredits(customerId: string, clock: Clock): Promise<LedgerEntry[]> {
  const { Items } = await ddb().send(
    new QueryCommand({
      TableName: tableName(),
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :inbox)',
      ExpressionAttributeValues: { ':pk': `BALANCE#${customerId}`, ':inbox': 'INBOX#' },
      ConsistentRead: true,
    }),
  );
  const posted: LedgerEntry[] = [];
  for (const item of Items ?? []) {
    const credit = item as unknown as BalanceCredit;
    const inbox = {
      TableName: tableName(),
      Key: inboxKey(credit),
      ConditionExpression: 'attribute_exists(pk)',
    };
    const drain = new Transaction<'inbox'>().add('inbox', { Delete: inbox });
    const posting = { ...credit, customerId };
    try {
      const entry = await post(posting, clock, { with: () => drain, onCancel: () => undefined });
      // Undefined: this reference was posted before (a credit sent twice); it only leaves the inbox.
      if (entry) posted.push(entry);
      else await writeUnlessCancelled([{ Delete: inbox }]);
    } catch (error) {
      // Left in the inbox: the next read or withdrawal posts it.
      logger.warn('balance credit not posted yet', { customerId, error: error as Error });
    }
  }
  return posted;
}

/** What the balance in `currency` holds now, pending credits posted first (minor units, >= 0). */
export async function availableBalance(
  customerId: string,
  currency: CurrencyCode,
  clock: Clock,
): Promise<number> {
  await applyBalanceCredits(customerId, clock);
  return balanceOf(customerId, currency);
}

/** An installment's money taken from (or given back to) the balance; `reference` is `<installmentId>#<attempt>`. */
export interface InstallmentDebit {
  customerId: string;
  /** Positive minor units. */
  amount: number;
  currency: CurrencyCode;
  reference: string;
}

/**
 * The caller's own writes (the installment's state change, the order, its events) committed in the
 * SAME transaction as the ledger entry, under the caller's part names; `onCancel` maps a lost part
 * to the error to throw (e.g. the installment changed meanwhile). See ledger.ts `post`.
 */
export interface WithPosting<K extends string> {
  with?: (entry: LedgerEntry) => Transaction<K>;
  onCancel?: (cancelled: Cancellation<K | 'ref' | 'entry' | 'head'>) => Error | undefined;
}

/**
 * Pays `amount` of an installment from the customer's balance (a debit with reason `installment`,
 * the installment's charge key `<installmentId>#<attempt>` as reference), together with the
 * caller's `with` writes in one transaction conditioned on the ledger head: concurrent debits never
 * overdraw, and the installment never changes without its debit (or the reverse). Once per
 * reference: a repeat returns `already_paid` and moves nothing. Throws 422 `insufficient_balance`
 * when the balance is short (nothing written), and what `onCancel` maps.
 */
export async function payFromBalance<K extends string = never>(
  debit: InstallmentDebit,
  clock: Clock,
  options: WithPosting<K> = {},
): Promise<'paid' | 'already_paid'> {
  await applyBalanceCredits(debit.customerId, clock);
  const entry = await post({ ...debit, amount: -debit.amount, reason: 'installment' }, clock, options);
  return entry ? 'paid' : 'already_paid';
}

/**
 * Gives back to the balance what `payFromBalance` took for an installment attempt whose card part
 * was declined or never charged (reason `installment_reversal`, the same reference), with the
 * caller's `with` writes in one transaction. Once per reference: a repeat returns
 * `already_returned` and moves nothing.
 */
export async function returnBalancePayment<K extends string = never>(
  credit: InstallmentDebit,
  clock: Clock,
  options: WithPosting<K> = {},
): Promise<'returned' | 'already_returned'> {
  const entry = await post({ ...credit, reason: 'installment_reversal' }, clock, options);
  return entry ? 'returned' : 'already_returned';
}
