/**
 * The customer balance: an append-only double-entry ledger (main table, one partition per customer).
 *
 *   BALANCE#<customerId> / ENTRY#<currency>#<seq:12>   an entry: two legs that sum to zero
 *   BALANCE#<customerId> / HEAD#<currency>             the last seq and the running balance after it
 *   BALANCE#<customerId> / REF#<reason>#<reference>    a posting's single-use marker (idempotency)
 *
 * The balance is derived from the ledger: it is the running balance of the last entry, carried on
 * the head and written in the same transaction as that entry, conditioned on the head's `seq` (no
 * other posting came in between) and never below zero. So concurrent withdrawals can never
 * overdraw: all but one lose the condition, re-read and re-check. Entries are never updated or
 * deleted; a failed payout is put right by a reversing entry.
 */
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Clock } from '../lib/clock.ts';
import { ddb, fromItem, tableName } from '../lib/dynamodb.ts';
import { DomainError } from '../lib/errors.ts';
import { newId } from '../lib/ids.ts';
import type { CurrencyCode } from '../lib/money.ts';
import { type Cancellation, type TransactItem, Transaction, writeTransaction } from '../lib/transactions.ts';

/**
 * Why money moved (the terms of Stripe's balance transaction `type`). Credits: refund (a refund of
 * money already collected: what the balance paid, or what the card refused to take back), dispute
 * (a dispute outcome: what the balance had paid of an order whose fraud was confirmed; reference the
 * dispute id; docs/adr/0032), withdrawal_reversal, installment_reversal (the balance part of an
 * installment whose card part was declined, or whose charge never happened). Debits: withdrawal,
 * installment.
 */
export type LedgerReason =
  | 'refund'
  | 'dispute'
  | 'withdrawal'
  | 'withdrawal_reversal'
  | 'installment'
  | 'installment_reversal';

/** The other side of each posting (the customer's balance is always one leg). */
const COUNTER_ACCOUNT: Record<LedgerReason, string> = {
  refund: 'platform:refunds_collected',
  dispute: 'platform:dispute_refunds',
  withdrawal: 'platform:payouts_clearing',
  withdrawal_reversal: 'platform:payouts_clearing',
  installment: 'platform:installments_receivable',
  installment_reversal: 'platform:installments_receivable',
};

export interface LedgerLeg {
  account: string;
  /** Signed minor units: positive is a credit to the account. */
  amount: number;
}

export interface LedgerEntry {
  id: string;
  customerId: string;
  currency: CurrencyCode;
  seq: number;
  reason: LedgerReason;
  /** What caused it: a refund id, a withdrawal id, an installment id, a dispute id. */
  reference: string;
  /** Signed minor units for the customer: positive credits the balance, negative debits it. */
  amount: number;
  legs: [LedgerLeg, LedgerLeg];
  balanceAfter: number;
  createdAt: string;
}

interface Head {
  seq: number;
  balance: number;
}

const pk = (customerId: string) => `BALANCE#${customerId}`;
const headSk = (currency: string) => `HEAD#${currency}`;
const entrySk = (currency: string, seq: number) => `ENTRY#${currency}#${String(seq).padStart(12, '0')}`;

async function readHead(customerId: string, currency: CurrencyCode): Promise<Head> {
  const { Item } = await ddb().send(
    new GetCommand({
      TableName: tableName(),
      Key: { pk: pk(customerId), sk: headSk(currency) },
      ConsistentRead: true,
    }),
  );
  return { seq: (Item?.seq as number | undefined) ?? 0, balance: (Item?.balance as number | undefined) ?? 0 };
}

/** The balances of every currency the customer has a ledger in (from the heads). */
export async function balances(
  customerId: string,
): Promise<Array<{ currency: CurrencyCode; amount: number }>> {
  const { Items } = await ddb().send(
    new QueryCommand({
      TableName: tableName(),
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :head)',
      ExpressionAttributeValues: { ':pk': pk(customerId), ':head': 'HEAD#' },
      ConsistentRead: true,
    }),
  );
  return (Items ?? []).map((item) => ({
    currency: item.currency as CurrencyCode,
    amount: item.balance as number,
  }));
}

/** The balance in one currency (0 without a ledger). */
export async function balanceOf(customerId: string, currency: CurrencyCode): Promise<number> {
  return (await readHead(customerId, currency)).balance;
}

/** Every entry of the customer's ledger, oldest first per currency. */
export async function entries(customerId: string): Promise<LedgerEntry[]> {
  const out: LedgerEntry[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await ddb().send(
      new QueryCommand({
        TableName: tableName(),
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :entry)',
        ExpressionAttributeValues: { ':pk': pk(customerId), ':entry': 'ENTRY#' },
        ConsistentRead: true,
        ExclusiveStartKey: startKey,
      }),
    );
    for (const item of page.Items ?? []) out.push(fromItem<LedgerEntry>(item));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return out;
}

export interface Posting {
  customerId: string;
  currency: CurrencyCode;
  /** Signed minor units for the customer (never 0). */
  amount: number;
  reason: LedgerReason;
  reference: string;
}

const refKey = (posting: Posting) => ({
  pk: pk(posting.customerId),
  sk: `REF#${posting.reason}#${posting.reference}`,
});

function postingItems(
  posting: Posting,
  head: Head,
  now: Date,
): { entry: LedgerEntry; items: Record<'ref' | 'entry' | 'head', TransactItem> } {
  const seq = head.seq + 1;
  const entry: LedgerEntry = {
    id: newId('ledgerEntry', now),
    customerId: posting.customerId,
    currency: posting.currency,
    seq,
    reason: posting.reason,
    reference: posting.reference,
    amount: posting.amount,
    legs: [
      { account: `customer:${posting.customerId}`, amount: posting.amount },
      { account: COUNTER_ACCOUNT[posting.reason], amount: -posting.amount },
    ],
    balanceAfter: head.balance + posting.amount,
    createdAt: now.toISOString(),
  };
  const table = tableName();
  const key = pk(posting.customerId);
  return {
    entry,
    items: {
      ref: {
        Put: {
          TableName: table,
          Item: { ...refKey(posting), type: 'ledgerRef', entryId: entry.id },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      entry: {
        Put: {
          TableName: table,
          Item: { pk: key, sk: entrySk(posting.currency, seq), type: 'ledgerEntry', ...entry },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      head: {
        Put: {
          TableName: table,
          Item: {
            pk: key,
            sk: headSk(posting.currency),
            type: 'ledgerHead',
            customerId: posting.customerId,
            currency: posting.currency,
            seq,
            balance: entry.balanceAfter,
            updatedAt: entry.createdAt,
          },
          ConditionExpression: head.seq === 0 ? 'attribute_not_exists(pk)' : 'seq = :seq',
          ...(head.seq === 0 ? {} : { ExpressionAttributeValues: { ':seq': head.seq } }),
        },
      },
    },
  };
}

async function posted(posting: Posting): Promise<boolean> {
  const { Item } = await ddb().send(
    new GetCommand({ TableName: tableName(), Key: refKey(posting), ConsistentRead: true }),
  );
  return Item !== undefined;
}

const MAX_ATTEMPTS = 12;

export const insufficientBalance = (balance: number, currency: string) =>
  new DomainError(
    'rejected',
    'insufficient_balance',
    `The amount is more than your ${currency} balance of ${balance} minor units.`,
    'amount',
  );

/**
 * Posts one entry, with `with` (other parts of the same transaction: a step-up, a withdrawal
 * record, an audit) under their names. Re-reads and retries while another posting wins the head;
 * refuses with rejected `insufficient_balance` when the balance would go below zero (nothing is
 * written). Returns undefined when this posting (reason + reference) was already made: postings are
 * idempotent. `onCancel` maps a lost part of `with` to the error to throw (e.g. a used step-up).
 */
export async function post<K extends string>(
  posting: Posting,
  clock: Clock,
  options: {
    with?: (entry: LedgerEntry) => Transaction<K>;
    onCancel?: (cancelled: Cancellation<K | 'ref' | 'entry' | 'head'>) => Error | undefined;
  } = {},
): Promise<LedgerEntry | undefined> {
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const head = await readHead(posting.customerId, posting.currency);
    if (head.balance + posting.amount < 0) {
      // A repeat of a posting already made is answered as such, whatever the balance is now.
      if (await posted(posting)) return undefined;
      throw insufficientBalance(head.balance, posting.currency);
    }
    const { entry, items } = postingItems(posting, head, clock.now());
    const tx = new Transaction<K | 'ref' | 'entry' | 'head'>();
    if (options.with) tx.addAll(options.with(entry) as Transaction<K | 'ref' | 'entry' | 'head'>);
    tx.add('ref', items.ref).add('entry', items.entry).add('head', items.head);
    try {
      await writeTransaction(tx.items);
      return entry;
    } catch (error) {
      const cancelled = tx.cancellation(error);
      if (!cancelled) throw error;
      const mapped = options.onCancel?.(cancelled);
      if (mapped) throw mapped;
      if (cancelled.lost('ref')) return undefined;
      // Another posting took the head (or a transaction conflict): back off a little, re-read.
      await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * 10 * attempt)));
    }
  }
  throw new DomainError('conflict', 'concurrent_update', 'The balance changed many times meanwhile; retry.');
}
