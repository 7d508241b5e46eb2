/**
 * A payout's reconciliation report: one line per ledger entry it covers (captures, refunds, dispute
 * liabilities), each with its order and capture, refund or dispute, and gross, fee and net in signed
 * minor units, where gross − fee = net on every line and the nets sum exactly to the payout amount
 * (checked here on every read: a report that does not reconcile is an error, never an answer).
 */
import { notFound } from '../lib/errors.ts';
import type { PayoutLine, PayoutResponse } from './schema.ts';
import { entriesBetween, getPayout, type LedgerEntry, listPayouts, type PayoutRecord } from './store.ts';

export function toPayoutResponse(payout: PayoutRecord): PayoutResponse {
  return {
    id: payout.id,
    object: 'payout',
    status: payout.status,
    amount: payout.amount,
    currency: payout.currency,
    payoutDate: payout.payoutDate,
    lineCount: payout.entryCount,
    createdAt: payout.createdAt,
    ...(payout.paidAt ? { paidAt: payout.paidAt } : {}),
    ...(payout.providerReference ? { providerReference: payout.providerReference } : {}),
  };
}

function toLine(entry: LedgerEntry & { kind: Exclude<LedgerEntry['kind'], 'payout'> }): PayoutLine {
  return {
    entryId: entry.id,
    type: entry.kind,
    ...(entry.orderId ? { orderId: entry.orderId } : {}),
    ...(entry.captureId ? { captureId: entry.captureId } : {}),
    ...(entry.refundId ? { refundId: entry.refundId } : {}),
    ...(entry.disputeId ? { disputeId: entry.disputeId } : {}),
    occurredAt: entry.occurredAt,
    gross: entry.gross,
    fee: entry.fee,
    net: entry.net,
  };
}

/** The merchant's own payout (another merchant's is a 404, like a missing one). */
async function ownPayout(merchantId: string, payoutId: string): Promise<PayoutRecord> {
  const payout = await getPayout(payoutId);
  if (!payout || payout.merchantId !== merchantId) throw notFound(`No such payout: ${payoutId}.`, 'id');
  return payout;
}

/** The payout with its report lines; 404 `resource_missing` unless it is the merchant's. */
export async function payoutReport(merchantId: string, payoutId: string) {
  const payout = await ownPayout(merchantId, payoutId);
  const entries = await entriesBetween(payout.merchantId, payout.currency, payout.fromSeq, payout.throughSeq);
  // An earlier payout's own entry may sit in the range (it paid entries before `fromSeq`): no line.
  const lines = entries
    .filter((e): e is LedgerEntry & { kind: Exclude<LedgerEntry['kind'], 'payout'> } => e.kind !== 'payout')
    .map(toLine);
  const total = lines.reduce((sum, line) => sum + line.net, 0);
  if (total !== payout.amount || lines.length !== payout.entryCount) {
    throw new Error(`payout ${payout.id} does not reconcile: lines sum to ${total}, paid ${payout.amount}`);
  }
  return { ...toPayoutResponse(payout), lines };
}

export async function listMerchantPayouts(merchantId: string, limit: number, startingAfter?: string) {
  const page = await listPayouts(merchantId, limit, startingAfter);
  return { object: 'list' as const, data: page.payouts.map(toPayoutResponse), hasMore: page.hasMore };
}

export const CSV_COLUMNS = [
  'payout_id',
  'entry_id',
  'type',
  'order_id',
  'capture_id',
  'refund_id',
  'dispute_id',
  'occurred_at',
  'currency',
  'gross',
  'fee',
  'net',
] as const;

/** RFC 4180: a field with a comma, quote or line break is quoted, its quotes doubled. */
const field = (value: string | number | undefined) => {
  const text = value === undefined ? '' : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
};

/** The report as CSV (RFC 4180, CRLF line ends, amounts in signed minor units). */
export function reportCsv(report: Awaited<ReturnType<typeof payoutReport>>): string {
  const rows = report.lines.map((line) =>
    [
      report.id,
      line.entryId,
      line.type,
      line.orderId,
      line.captureId,
      line.refundId,
      line.disputeId,
      line.occurredAt,
      report.currency,
      line.gross,
      line.fee,
      line.net,
    ]
      .map(field)
      .join(','),
  );
  return `${[CSV_COLUMNS.join(','), ...rows].join('\r\n')}\r\n`;
}
