/**
 * The settlements capability's DynamoDB access. Keys (single table):
 *   SETTLE#<merchantId>#<currency> / ACCOUNT        the merchant's account in one currency: balance
 *                                                   (minor units, may be negative), seq (last entry),
 *                                                   paidThroughSeq (last entry a payout covered)
 *   SETTLE#<merchantId>#<currency> / ENTRY#<seq>    a ledger entry, numbered 1, 2, 3… per account
 *   LEDGERSRC#<sourceId> / LEDGERSRC                a capture, refund, dispute or payout already
 *                                                   entered: the exactly-once guard
 *   PAYOUT#<payoutId> / PAYOUT                      a payout; GSI1 `PAYOUTS#<merchantId>` lists them
 *   PAYOUTDAY#<merchantId>#<currency>#<day> / …     the one payout of a business day
 * Accounts are listed on GSI1 `SETTLE_ACCOUNTS` for the payout job (a Query, never a Scan).
 */
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ddb, fromItem, tableName } from '../lib/dynamodb.ts';
import type { CurrencyCode } from '../lib/money.ts';
import { GSI1 } from '../lib/tables.ts';
import { queryAll } from '../lib/transactions.ts';

export type LedgerEntryKind = 'capture' | 'refund' | 'dispute_liability' | 'payout';

/** One leg of a double entry: debit positive, credit negative; an entry's legs sum to zero. */
export interface Posting {
  account: string;
  amount: number;
}

export interface LedgerEntry {
  /** The source's id: `cap_…`, `ref_…`, `dsp_…`, `po_…`: one entry per source, ever. */
  id: string;
  kind: LedgerEntryKind;
  merchantId: string;
  currency: CurrencyCode;
  seq: number;
  orderId?: string;
  captureId?: string;
  refundId?: string;
  disputeId?: string;
  payoutId?: string;
  /** The merchant's view, signed: gross − fee = net; net is what the entry adds to the balance. */
  gross: number;
  fee: number;
  net: number;
  occurredAt: string;
  recordedAt: string;
  postings: Posting[];
}

export interface SettlementAccount {
  merchantId: string;
  currency: CurrencyCode;
  balance: number;
  seq: number;
  paidThroughSeq: number;
  version: number;
}

export type PayoutStatus = 'pending' | 'paid';

export interface PayoutRecord {
  id: string;
  merchantId: string;
  currency: CurrencyCode;
  amount: number;
  status: PayoutStatus;
  /** The merchant-local business day it settles. */
  payoutDate: string;
  /** The ledger entries it covers: seq in (fromSeq, throughSeq]; its own entry is throughSeq + 1. */
  fromSeq: number;
  throughSeq: number;
  entryCount: number;
  provider: string;
  providerReference?: string;
  createdAt: string;
  paidAt?: string;
  version: number;
}

const pad = (seq: number) => String(seq).padStart(12, '0');
export const accountKey = (merchantId: string, currency: string) => ({
  pk: `SETTLE#${merchantId}#${currency}`,
  sk: 'ACCOUNT',
});
export const entryKey = (merchantId: string, currency: string, seq: number) => ({
  pk: `SETTLE#${merchantId}#${currency}`,
  sk: `ENTRY#${pad(seq)}`,
});
export const sourceKey = (sourceId: string) => ({ pk: `LEDGERSRC#${sourceId}`, sk: 'LEDGERSRC' });
export const payoutKey = (payoutId: string) => ({ pk: `PAYOUT#${payoutId}`, sk: 'PAYOUT' });
export const payoutDayKey = (merchantId: string, currency: string, day: string) => ({
  pk: `PAYOUTDAY#${merchantId}#${currency}#${day}`,
  sk: 'PAYOUTDAY',
});
export const payoutListKey = (merchantId: string, payoutId: string) => ({
  gsi1pk: `PAYOUTS#${merchantId}`,
  gsi1sk: payoutId,
});
export const accountListKey = (merchantId: string, currency: string) => ({
  gsi1pk: 'SETTLE_ACCOUNTS',
  gsi1sk: `${merchantId}#${currency}`,
});

const consistentGet = async (Key: Record<string, string>) =>
  (await ddb().send(new GetCommand({ TableName: tableName(), Key, ConsistentRead: true }))).Item;

export async function getAccount(
  merchantId: string,
  currency: string,
): Promise<SettlementAccount | undefined> {
  const item = await consistentGet(accountKey(merchantId, currency));
  return item ? fromItem<SettlementAccount>(item) : undefined;
}

export async function sourceRecorded(sourceId: string): Promise<boolean> {
  return (await consistentGet(sourceKey(sourceId))) !== undefined;
}

/** Entries with fromSeq < seq <= throughSeq, in order (strongly consistent). */
export async function entriesBetween(
  merchantId: string,
  currency: string,
  fromSeq: number,
  throughSeq: number,
): Promise<LedgerEntry[]> {
  if (throughSeq <= fromSeq) return [];
  const items = await queryAll({
    TableName: tableName(),
    KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :through',
    ExpressionAttributeValues: {
      ':pk': accountKey(merchantId, currency).pk,
      ':from': entryKey(merchantId, currency, fromSeq + 1).sk,
      ':through': entryKey(merchantId, currency, throughSeq).sk,
    },
    ConsistentRead: true,
  });
  return items.map((item) => fromItem<LedgerEntry>(item));
}

/** Every settlement account (merchant × currency), for the payout job. */
export async function listAccounts(): Promise<SettlementAccount[]> {
  const items = await queryAll({
    TableName: tableName(),
    IndexName: GSI1,
    KeyConditionExpression: 'gsi1pk = :list',
    ExpressionAttributeValues: { ':list': 'SETTLE_ACCOUNTS' },
  });
  return items.map((item) => fromItem<SettlementAccount>(item));
}

export async function getPayout(payoutId: string): Promise<PayoutRecord | undefined> {
  const item = await consistentGet(payoutKey(payoutId));
  return item ? fromItem<PayoutRecord>(item) : undefined;
}

export async function payoutOfDay(
  merchantId: string,
  currency: string,
  day: string,
): Promise<string | undefined> {
  const item = await consistentGet(payoutDayKey(merchantId, currency, day));
  return item ? String(item.payoutId) : undefined;
}

/** A page of a merchant's payouts, newest first. */
export async function listPayouts(
  merchantId: string,
  limit: number,
  startingAfter?: string,
): Promise<{ payouts: PayoutRecord[]; hasMore: boolean }> {
  const page = await ddb().send(
    new QueryCommand({
      TableName: tableName(),
      IndexName: GSI1,
      KeyConditionExpression: startingAfter ? 'gsi1pk = :list AND gsi1sk < :after' : 'gsi1pk = :list',
      ExpressionAttributeValues: {
        ':list': payoutListKey(merchantId, '').gsi1pk,
        ...(startingAfter ? { ':after': startingAfter } : {}),
      },
      ScanIndexForward: false,
      Limit: limit + 1,
    }),
  );
  const payouts = (page.Items ?? []).map((item) => fromItem<PayoutRecord>(item));
  return { payouts: payouts.slice(0, limit), hasMore: payouts.length > limit };
}
