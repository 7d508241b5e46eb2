/**
 * The double-entry merchant ledger (docs/adr/0020-merchant-ledger.md). Every entry is a balanced set
 * of postings (debit positive, credit negative, summing to zero) over these accounts:
 *   shopper_receivables            what shoppers owe Tessera (Tessera pays the merchant up front)
 *   merchant_payable:<merchant>    what Tessera owes the merchant (credit-normal)
 *   fee_revenue                    Tessera's merchant fees
 *   dispute_recoveries             fraud losses charged back to a liable merchant
 *   payouts_in_transit             money sent to the merchant's bank
 * The merchant's balance is what merchant_payable holds: the sum of the entries' `net`.
 *
 * Each source (capture, refund, dispute, payout) is entered exactly once: the entry, its source
 * marker (a conditional put keyed by the source id) and the account's new balance and sequence commit
 * in ONE transaction, conditioned on the sequence read. A duplicate delivery finds the marker and
 * changes nothing; a concurrent entry for the same account makes the loser read again and retry.
 */
import type { Clock } from '../lib/clock.ts';
import { tableName } from '../lib/dynamodb.ts';
import { type TransactItem, writeUnlessCancelled } from '../lib/transactions.ts';
import {
  accountKey,
  accountListKey,
  entryKey,
  getAccount,
  type LedgerEntry,
  type LedgerEntryKind,
  type Posting,
  type SettlementAccount,
  sourceKey,
  sourceRecorded,
} from './store.ts';

/** What a source contributes, before it gets its place (seq) in the account. */
export type EntryInput = Omit<LedgerEntry, 'seq' | 'recordedAt' | 'postings'>;

const payable = (merchantId: string) => `merchant_payable:${merchantId}`;

/** The balanced postings of an entry, from its signed gross, fee and net (gross − fee = net). */
export function postingsOf(
  entry: Pick<LedgerEntry, 'kind' | 'merchantId' | 'gross' | 'fee' | 'net'>,
): Posting[] {
  const { kind, merchantId, gross, fee, net } = entry;
  const counter: Record<LedgerEntryKind, string> = {
    capture: 'shopper_receivables',
    refund: 'shopper_receivables',
    dispute_liability: 'dispute_recoveries',
    payout: 'payouts_in_transit',
  };
  // The merchant's side is credited with net; Tessera's fee side with fee; the counter account
  // takes the gross the other way.
  const legs: Posting[] = [
    { account: counter[kind], amount: gross },
    { account: payable(merchantId), amount: -net },
    ...(fee === 0 ? [] : [{ account: 'fee_revenue', amount: -fee }]),
  ];
  if (gross - fee !== net || legs.reduce((sum, leg) => sum + leg.amount, 0) !== 0) {
    throw new Error(`unbalanced ledger entry ${kind}: gross ${gross}, fee ${fee}, net ${net}`);
  }
  // No -0 in the stored postings.
  return legs.map((leg) => ({ ...leg, amount: leg.amount || 0 }));
}

/**
 * The items that append `entry` to `account` (undefined: the account's first entry) as number
 * seq = account.seq + 1; a payout also moves `paidThroughSeq` and adds its own condition.
 */
export function appendItems(
  account: SettlementAccount | undefined,
  input: EntryInput,
  clock: Clock,
  extra: { paidThroughSeq?: number; condition?: string; values?: Record<string, unknown> } = {},
): { entry: LedgerEntry; items: TransactItem[] } {
  const seq = (account?.seq ?? 0) + 1;
  const entry: LedgerEntry = {
    ...input,
    seq,
    recordedAt: clock.now().toISOString(),
    postings: postingsOf(input),
  };
  const table = tableName();
  const items: TransactItem[] = [
    {
      Put: {
        TableName: table,
        Item: { ...sourceKey(entry.id), type: 'ledgerSource', merchantId: entry.merchantId, seq },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    },
    {
      Put: {
        TableName: table,
        Item: { ...entryKey(entry.merchantId, entry.currency, seq), type: 'ledgerEntry', ...entry },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    },
    {
      Update: {
        TableName: table,
        Key: accountKey(entry.merchantId, entry.currency),
        UpdateExpression: [
          'SET #type = :type, merchantId = :merchant, currency = :currency, gsi1pk = :list, gsi1sk = :listSk,',
          'balance = if_not_exists(balance, :zero) + :net, seq = :seq,',
          extra.paidThroughSeq === undefined
            ? 'paidThroughSeq = if_not_exists(paidThroughSeq, :zero),'
            : 'paidThroughSeq = :paidThrough,',
          'version = if_not_exists(version, :zero) + :one',
        ].join(' '),
        ConditionExpression: [
          account ? 'seq = :prevSeq' : 'attribute_not_exists(pk)',
          extra.condition ? `AND ${extra.condition}` : '',
        ].join(' '),
        ExpressionAttributeNames: { '#type': 'type' },
        ExpressionAttributeValues: {
          ':type': 'settlementAccount',
          ':merchant': entry.merchantId,
          ':currency': entry.currency,
          ':list': accountListKey(entry.merchantId, entry.currency).gsi1pk,
          ':listSk': accountListKey(entry.merchantId, entry.currency).gsi1sk,
          ':zero': 0,
          ':one': 1,
          ':net': entry.net,
          ':seq': seq,
          ...(account ? { ':prevSeq': account.seq } : {}),
          ...(extra.paidThroughSeq === undefined ? {} : { ':paidThrough': extra.paidThroughSeq }),
          ...(extra.values ?? {}),
        },
      },
    },
  ];
  return { entry, items };
}

const MAX_ATTEMPTS = 8;

/**
 * Enters `input` exactly once. Returns the entry, or `duplicate` when its source was entered before.
 * Throws after repeated losses to concurrent entries (the stream redelivers; nothing was written).
 */
export async function recordEntry(input: EntryInput, clock: Clock): Promise<LedgerEntry | 'duplicate'> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    if (await sourceRecorded(input.id)) return 'duplicate';
    const account = await getAccount(input.merchantId, input.currency);
    const { entry, items } = appendItems(account, input, clock);
    if (await writeUnlessCancelled(items)) return entry;
  }
  if (await sourceRecorded(input.id)) return 'duplicate';
  throw new Error(`ledger entry ${input.id} lost ${MAX_ATTEMPTS} races for its account`);
}
