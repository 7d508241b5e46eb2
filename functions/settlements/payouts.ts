/**
 * The payout job (docs/adr/0021-payouts.md): turns what each merchant account settled in a
 * merchant-local business day into at most one payout for that day.
 *
 * For an account and a day: when the day has a payout already, the run only finishes it if an
 * earlier run was interrupted before the provider accepted it (same payout id, so the provider's
 * idempotency makes it one transfer). Otherwise the entries after the last payout, up to the last
 * one recorded before the day ended (local midnight), are summed; a positive sum becomes a payout
 * covering exactly those entries: the day marker (a conditional put), the payout, its own ledger
 * entry and the account's new `paidThroughSeq` commit in ONE transaction, conditioned on the
 * account's sequence and `paidThroughSeq` read, so the report's lines sum exactly to the amount paid
 * and a rerun pays nothing twice. A negative sum (more refunded than captured) is carried over:
 * nothing is written, and the next payout's report includes those lines. Then the provider is asked
 * to send it, and the payout becomes `paid` together with its `payout.paid` webhook event.
 */
import { addDays, type Clock, clock as defaultClock } from '../lib/clock.ts';
import { tableName } from '../lib/dynamodb.ts';
import { newId } from '../lib/ids.ts';
import { logger } from '../lib/logger.ts';
import { type TransactItem, writeUnlessCancelled } from '../lib/transactions.ts';
import { webhookEventItems } from '../webhooks/events.ts';
import { appendItems } from './ledger.ts';
import { payoutProvider } from './payout-provider.ts';
import { toPayoutResponse } from './report.ts';
import type { PayoutRunResponse } from './schema.ts';
import {
  entriesBetween,
  getAccount,
  getPayout,
  listAccounts,
  type PayoutRecord,
  payoutDayKey,
  payoutKey,
  payoutListKey,
  payoutOfDay,
  type SettlementAccount,
} from './store.ts';
import { localDay, startOfLocalDay, termsFor } from './terms.ts';

type Outcome = 'paid' | 'resumed' | 'alreadyPaid' | 'carriedNegative' | 'nothingToPay' | 'failed';

/**
 * Runs payouts for every account. `asOf` (YYYY-MM-DD) pays that business day for every merchant;
 * without it (the schedule), each merchant is paid for the local day that ended last in its time
 * zone, so an hourly schedule pays every merchant once a day, shortly after its local midnight.
 */
export async function runPayouts(
  asOf: string | undefined,
  clock: Clock = defaultClock(),
): Promise<PayoutRunResponse> {
  const counts: Record<Outcome, number> = {
    paid: 0,
    resumed: 0,
    alreadyPaid: 0,
    carriedNegative: 0,
    nothingToPay: 0,
    failed: 0,
  };
  await localCatchUp?.();
  const accounts = await listAccounts();
  for (const account of accounts) {
    const { timeZone } = termsFor(account.merchantId);
    const day = asOf ?? addDays(localDay(clock.now(), timeZone), -1);
    // The business day ends at the next local midnight; what is recorded later waits for the next payout.
    const cutoff = startOfLocalDay(addDays(day, 1), timeZone).toISOString();
    try {
      counts[await payAccount(account.merchantId, account.currency, day, cutoff, clock)] += 1;
    } catch (error) {
      // One account's failure never stops the others; the next run retries it.
      logger.error('payout failed', { merchantId: account.merchantId, day, error: error as Error });
      counts.failed += 1;
    }
  }
  return { object: 'payout_run', accounts: accounts.length, ...counts };
}

let localCatchUp: (() => Promise<unknown>) | undefined;
/**
 * The local runtime registers how to bring the ledger up to date with the table's stream before a
 * run (in AWS the stream's Lambda feeds the ledger continuously); functions/ may not import infra/.
 */
export function setLocalLedgerCatchUp(fn: (() => Promise<unknown>) | undefined): void {
  localCatchUp = fn;
}

/**
 * The payout of one account for business day `day`, covering the entries recorded before `cutoff`
 * (ISO instant: the day's end in the merchant's time zone); see the module comment.
 */
export async function payAccount(
  merchantId: string,
  currency: string,
  day: string,
  cutoff: string,
  clock: Clock,
): Promise<Outcome> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const existing = await payoutOfDay(merchantId, currency, day);
    if (existing) {
      const payout = await getPayout(existing);
      if (!payout || payout.status === 'paid') return 'alreadyPaid';
      await send(payout, clock);
      return 'resumed';
    }
    const account = await getAccount(merchantId, currency);
    if (!account) return 'nothingToPay';
    const due = await settled(account, cutoff);
    if (due.lines === 0 || due.amount === 0) return 'nothingToPay';
    if (due.amount < 0) return 'carriedNegative';
    const payout = newPayout(account, day, due, clock);
    if (await writeUnlessCancelled(createItems(account, payout, clock))) {
      await send(payout, clock);
      return 'paid';
    }
    // Lost to a new ledger entry or a concurrent run: read again.
  }
  throw new Error(`payout of ${merchantId} ${currency} for ${day} kept losing races`);
}

interface Settled {
  amount: number;
  lines: number;
  throughSeq: number;
}

/**
 * What the day settled: the entries after the last payout, in order, up to the first one recorded at
 * or after `cutoff`; the sum of their nets, earlier payouts' own entries left out (those paid entries
 * before `paidThroughSeq`). Without a cutoff the same sum is the account's balance.
 */
async function settled(account: SettlementAccount, cutoff: string): Promise<Settled> {
  const entries = await entriesBetween(
    account.merchantId,
    account.currency,
    account.paidThroughSeq,
    account.seq,
  );
  const due: Settled = { amount: 0, lines: 0, throughSeq: account.paidThroughSeq };
  for (const entry of entries) {
    if (entry.recordedAt >= cutoff) break;
    due.throughSeq = entry.seq;
    if (entry.kind === 'payout') continue;
    due.amount += entry.net;
    due.lines += 1;
  }
  return due;
}

function newPayout(account: SettlementAccount, day: string, due: Settled, clock: Clock): PayoutRecord {
  const now = clock.now();
  return {
    id: newId('payout', now),
    merchantId: account.merchantId,
    currency: account.currency,
    amount: due.amount,
    status: 'pending',
    payoutDate: day,
    fromSeq: account.paidThroughSeq,
    throughSeq: due.throughSeq,
    entryCount: due.lines,
    provider: payoutProvider().name,
    createdAt: now.toISOString(),
    version: 1,
  };
}

function createItems(account: SettlementAccount, payout: PayoutRecord, clock: Clock): TransactItem[] {
  const table = tableName();
  const { items } = appendItems(
    account,
    {
      id: payout.id,
      kind: 'payout',
      merchantId: payout.merchantId,
      currency: payout.currency,
      payoutId: payout.id,
      gross: -payout.amount,
      fee: 0,
      net: -payout.amount,
      occurredAt: payout.createdAt,
    },
    clock,
    // The next payout starts after the last entry this one covers; the condition on the sequence
    // (appendItems) makes a concurrent entry or run send this one back to read again.
    {
      paidThroughSeq: payout.throughSeq,
      condition: 'paidThroughSeq = :prevPaid',
      values: { ':prevPaid': account.paidThroughSeq },
    },
  );
  return [
    {
      Put: {
        TableName: table,
        Item: {
          ...payoutDayKey(payout.merchantId, payout.currency, payout.payoutDate),
          type: 'payoutDay',
          payoutId: payout.id,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    },
    {
      Put: {
        TableName: table,
        Item: {
          ...payoutKey(payout.id),
          type: 'payout',
          ...payout,
          ...payoutListKey(payout.merchantId, payout.id),
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    },
    ...items,
  ];
}

/** Sends through the provider (idempotent by payout id), then records `paid` with its event once. */
async function send(payout: PayoutRecord, clock: Clock): Promise<void> {
  const { reference } = await payoutProvider().send({
    payoutId: payout.id,
    merchantId: payout.merchantId,
    amount: payout.amount,
    currency: payout.currency,
  });
  const paid: PayoutRecord = {
    ...payout,
    status: 'paid',
    paidAt: clock.now().toISOString(),
    providerReference: reference,
    version: payout.version + 1,
  };
  const items: TransactItem[] = [
    {
      Update: {
        TableName: tableName(),
        Key: payoutKey(payout.id),
        UpdateExpression: 'SET #status = :paid, paidAt = :at, providerReference = :ref, version = :next',
        ConditionExpression: '#status = :pending AND version = :version',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':paid': 'paid',
          ':pending': 'pending',
          ':at': paid.paidAt,
          ':ref': reference,
          ':next': paid.version,
          ':version': payout.version,
        },
      },
    },
    ...webhookEventItems(
      {
        merchantId: payout.merchantId,
        type: 'payout.paid',
        objectId: payout.id,
        sequence: paid.version,
        data: toPayoutResponse(paid),
      },
      clock,
    ),
  ];
  // A lost condition means another run recorded it first: one `paid`, one event.
  await writeUnlessCancelled(items);
}
