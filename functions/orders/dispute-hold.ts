/**
 * The orders side of a dispute (the disputes capability reaches it through ./collection-face.ts):
 * the order is put on hold when the shopper files, and collection resumes when an operator rejects
 * the claim. ARCHITECTURE.md, Disputes (zero liability); Regulation E, 12 CFR 1005.11 and the CFPB's
 * expectation that payments on a charge under investigation are paused.
 *
 * While `disputed` (OrderRecord.disputed):
 * - collection charges nothing: an installment the run finds in the `due` index leaves it and keeps
 *   the day it was indexed for in `disputeHeldDay` (./collect.ts, skip reason `disputed`), so it is
 *   not lost: the rejection indexes it again;
 * - no late fee is assessed (./late-fees.ts `lateFeePending`), no reminder is sent, no capture, payoff
 *   or due-date extension is taken (422 `order_disputed`);
 * - due dates freeze: on rejection every unpaid installment's due date (and its index day, late-fee
 *   day) moves later by the days paused, the calendar days from the filing day to the resolution day.
 *
 * Every write is conditional: the hold on the order's version and on the order having no dispute yet;
 * each shifted installment on its version and status; the release on the version and the dispute id.
 */
import { addDays, type Clock, DAY_MS, isoDay } from '../lib/clock.ts';
import { tableName } from '../lib/dynamodb.ts';
import { DomainError } from '../lib/errors.ts';
import {
  type TransactItem,
  Transaction,
  writeTransaction,
  writeUnlessCancelled,
} from '../lib/transactions.ts';
import type { InstallmentRecord, OrderRecord, OrderStatus } from './model.ts';
import { concurrentUpdate } from './shared.ts';
import * as store from './store.ts';

/** What a dispute may be filed against: an order with captured money (paid off included). */
export const DISPUTABLE_STATUSES: readonly OrderStatus[] = ['captured', 'in_arrears', 'paid_off'];

/** The order as the disputes capability sees it. */
export type DisputedOrder = Pick<
  OrderRecord,
  | 'id'
  | 'merchantId'
  | 'customerId'
  | 'status'
  | 'currency'
  | 'merchantReference'
  | 'cardToken'
  | 'cardBrand'
  | 'cardLast4'
  | 'capturedAmount'
  | 'refundedAmount'
  | 'outstandingAmount'
  | 'collectedAmount'
  | 'disputed'
  | 'disputeId'
  | 'disputedAt'
  | 'version'
>;

function view(order: OrderRecord): DisputedOrder {
  const { id, merchantId, customerId, status, currency, merchantReference, cardToken } = order;
  return {
    id,
    merchantId,
    customerId,
    status,
    currency,
    merchantReference,
    cardToken,
    cardBrand: order.cardBrand,
    cardLast4: order.cardLast4,
    capturedAmount: order.capturedAmount,
    refundedAmount: order.refundedAmount,
    outstandingAmount: order.outstandingAmount,
    collectedAmount: order.collectedAmount,
    ...(order.disputed ? { disputed: true } : {}),
    ...(order.disputeId ? { disputeId: order.disputeId } : {}),
    ...(order.disputedAt ? { disputedAt: order.disputedAt } : {}),
    version: order.version,
  };
}

/** The order a shopper's case is about (a dispute, a support conversation), or undefined. */
export async function orderForCase(orderId: string): Promise<DisputedOrder | undefined> {
  const order = await store.getOrder(orderId);
  return order ? view(order) : undefined;
}

/** Refuses a money movement on a disputed order (capture, payoff, due-date extension). */
export function refuseWhileDisputed(order: Pick<OrderRecord, 'disputed'>): void {
  if (order.disputed) {
    throw new DomainError(
      'rejected',
      'order_disputed',
      'The order is disputed: payments on it are paused until the dispute is resolved.',
    );
  }
}

/**
 * The write that puts the order on hold for dispute `disputeId`, for the caller's transaction:
 * conditioned on the version read, a disputable status and no dispute yet (one per order).
 */
export function holdOrderItem(order: DisputedOrder, disputeId: string, at: string): TransactItem {
  const statuses = Object.fromEntries(DISPUTABLE_STATUSES.map((s, i) => [`:s${i}`, s]));
  return {
    Update: {
      TableName: tableName(),
      Key: store.orderKey(order.id),
      UpdateExpression:
        'SET disputed = :true, disputeId = :dispute, disputedAt = :at, #version = :next, updatedAt = :at',
      ConditionExpression: `#version = :version AND attribute_not_exists(disputeId) AND #status IN (${Object.keys(statuses).join(', ')})`,
      ExpressionAttributeNames: { '#version': 'version', '#status': 'status' },
      ExpressionAttributeValues: {
        ':true': true,
        ':dispute': disputeId,
        ':at': at,
        ':version': order.version,
        ':next': order.version + 1,
        ...statuses,
      },
    },
  };
}

/**
 * Collection found an installment of a disputed order in the `due` index (on `day`): it leaves the
 * index, remembering the day, so no run charges it and the rejection can index it again. False when
 * the installment changed meanwhile (the next visit decides again).
 */
export function holdInstallment(installment: InstallmentRecord, day: string, clock: Clock): Promise<boolean> {
  return writeUnlessCancelled([
    store.installmentUpdateItem(installment, { disputeHeldDay: day }, clock.now().toISOString(), [
      'duePk',
      'dueSk',
    ]),
  ]);
}

/**
 * The write that ends the hold (REMOVE `disputed`; `disputeId` stays: one dispute per order), with
 * `set`, keeping the status (a finished order too: a refund may have closed it meanwhile).
 * Conditioned on the version read and on the order being on hold for `disputeId`.
 */
export function releaseOrderItem(
  order: Pick<OrderRecord, 'id' | 'version'>,
  disputeId: string,
  set: Record<string, unknown>,
  at: string,
): TransactItem {
  const names: Record<string, string> = { '#version': 'version' };
  const values: Record<string, unknown> = {
    ':version': order.version,
    ':next': order.version + 1,
    ':at': at,
    ':dispute': disputeId,
    ':true': true,
  };
  const assignments = Object.entries(set).map(([key, value], index) => {
    names[`#s${index}`] = key;
    values[`:s${index}`] = value;
    return `#s${index} = :s${index}`;
  });
  return {
    Update: {
      TableName: tableName(),
      Key: store.orderKey(order.id),
      UpdateExpression: `SET ${['#version = :next', 'updatedAt = :at', ...assignments].join(', ')} REMOVE disputed`,
      ConditionExpression: '#version = :version AND disputeId = :dispute AND disputed = :true',
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    },
  };
}

/** Calendar days from the day the order was disputed to `now` (UTC business days; 0 the same day). */
export function pausedDays(disputedAt: string, now: Date): number {
  const from = Date.parse(`${isoDay(new Date(disputedAt))}T00:00:00Z`);
  const to = Date.parse(`${isoDay(now)}T00:00:00Z`);
  return Math.max(0, Math.round((to - from) / DAY_MS));
}

/**
 * An unpaid installment moved `days` later: its due date, and the day it is indexed for (the index
 * day it has, or the one it was held from), never before `today` (the collection watermark never
 * passes today, so a day before it would never be read); a late-fee parking moves with it.
 */
function shifted(installment: InstallmentRecord, days: number, today: string, disputeId: string) {
  const indexDay = installment.duePk?.split('#')[1] ?? installment.disputeHeldDay;
  const set: Record<string, unknown> = {
    dueDate: addDays(installment.dueDate, days),
    disputeShift: disputeId,
  };
  if (indexDay) {
    const day = [addDays(indexDay, days), today].sort().at(-1) ?? today;
    Object.assign(set, store.dueIndex(installment.id, day));
    if (installment.lateFeeOn) set.lateFeeOn = day;
  }
  return set;
}

/** One transaction holds at most 100 items: the release's own items plus this many installments. */
const INSTALLMENTS_PER_TRANSACTION = 90;

/**
 * Rejected: collection resumes. Every unpaid installment (`due` or `failed`; one being charged is
 * left to its charge) moves later by the days paused, with its `due` index entry; returns the
 * release of the order (for the caller's transaction, with its own records) and the days paused.
 * Past one transaction's size the installments move first (each marked with the dispute, so a retry
 * moves none twice). Refusals: conflict `concurrent_update` (the order changed meanwhile), not_found
 * when the order is not on hold for this dispute.
 */
export async function resumeAfterDispute(
  orderId: string,
  disputeId: string,
  clock: Clock,
): Promise<{ items: TransactItem[]; pausedDays: number; shifted: number }> {
  const partition = await store.getOrderPartition(orderId);
  const order = partition?.order;
  if (!partition || !order?.disputed || order.disputeId !== disputeId || !order.disputedAt) {
    throw new DomainError('not_found', 'resource_missing', `No order on hold for ${disputeId}.`);
  }
  const now = clock.now();
  const at = now.toISOString();
  const days = pausedDays(order.disputedAt, now);
  const moving = partition.installments.filter(
    (i) => (i.status === 'due' || i.status === 'failed') && i.disputeShift !== disputeId,
  );
  const items = moving.map((i) =>
    store.installmentUpdateItem(i, shifted(i, days, isoDay(now), disputeId), at, ['disputeHeldDay']),
  );
  while (items.length > INSTALLMENTS_PER_TRANSACTION) {
    const chunk = items.splice(0, INSTALLMENTS_PER_TRANSACTION);
    await new Transaction<'installments'>()
      .add('installments', ...chunk)
      .write(writeTransaction, concurrentUpdate);
  }
  items.push(releaseOrderItem(order, disputeId, {}, at));
  return { items, pausedDays: days, shifted: moving.length };
}
