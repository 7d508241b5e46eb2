/**
 * The balance capability's face: how other capabilities put money into (or take it from) a
 * customer's balance without touching its ledger.
 *
 * Orders (refunds of money already collected that could not go back to the card) and, later,
 * disputes add `balanceCreditItem` to their OWN transaction: an inbox item, keyed by reason and
 * reference, so the credit happens exactly once with the change that caused it and never conflicts
 * with a concurrent withdrawal. The balance posts inbox items to the ledger (`applyBalanceCredits`)
 * before every read and every withdrawal, so a credit is visible from the next request on.
 */
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Clock } from '../lib/clock.ts';
import { ddb, tableName } from '../lib/dynamodb.ts';
import { logger } from '../lib/logger.ts';
import type { CurrencyCode } from '../lib/money.ts';
import { type TransactItem, Transaction, writeUnlessCancelled } from '../lib/transactions.ts';
import { type LedgerEntry, post } from './ledger.ts';

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

/**
 * Pays `amount` of an installment from the customer's balance (a debit with reason `installment`,
 * the installment's charge key as reference): the step collection (or a shopper's payoff) can take
 * before charging the card. Once per reference: a repeat returns `already_paid` and moves nothing.
 * Throws 422 `insufficient_balance` when the balance is short (nothing written).
 */
export async function payFromBalance(
  debit: { customerId: string; amount: number; currency: CurrencyCode; reference: string },
  clock: Clock,
): Promise<'paid' | 'already_paid'> {
  await applyBalanceCredits(debit.customerId, clock);
  const entry = await post({ ...debit, amount: -debit.amount, reason: 'installment' }, clock);
  return entry ? 'paid' : 'already_paid';
}
