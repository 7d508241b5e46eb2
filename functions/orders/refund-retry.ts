/**
 * Card returns that failed are retried by collection, not left `failed` for good. A refund whose
 * money could not go back to the card (the processor refused a line) is indexed in the `due` index
 * (`DUE#<day>#<shard>`, its refund id as the sort key) on its next retry day; the collection run that
 * reaches that day tries the failed lines again. After the last retry the lines that still fail are
 * `failed` for good and the merchant gets `refund.card_refund_failed` (an operator pays them out by
 * other means); when every line went through, `refund.card_refund_succeeded`.
 *
 * Never twice: attempt n > 1 uses the processor key `<refundId>#<installmentId>#<n>`. The attempt is
 * claimed (`cardRefundAttempts` n -> n+1, `cardRefundInFlight`) before the processor is called, and a
 * visit that finds an attempt in flight (its worker died) sends the SAME keys again, which the
 * processor answers with its first outcome, so no line is returned to the card twice.
 */

import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { balanceCreditItem } from '../balance/credits.ts';
import { addDays, type Clock, isoDay } from '../lib/clock.ts';
import { ddb, isConditionFailure, tableName } from '../lib/dynamodb.ts';
import { writeTransaction } from '../lib/transactions.ts';
import type { CardProcessor } from '../payments/processor.ts';
import { webhookEventItems } from '../webhooks/events.ts';
import type { OrderRecord, RefundRecord } from './model.ts';
import * as store from './store.ts';
import { toRefund } from './view.ts';

/** Days after the refund on which a failed card return is tried again (then it fails for good). */
export const CARD_REFUND_RETRY_DAYS: readonly number[] = [1, 3, 7];

type Lines = RefundRecord['cardRefunds'];
export type CardRefundRetry = 'succeeded' | 'retrying' | 'failed';

/** The day of the attempt after `attempts`, never before tomorrow; undefined once retries are spent. */
function nextRetryOn(refund: RefundRecord, attempts: number, now: Date): string | undefined {
  const offset = CARD_REFUND_RETRY_DAYS[attempts - 1];
  if (offset === undefined) return undefined;
  const scheduled = addDays(isoDay(new Date(refund.createdAt)), offset);
  const tomorrow = addDays(isoDay(now), 1);
  return [scheduled, tomorrow].sort().at(-1);
}

/** The key of a line's attempt: the refund's own key first, then one per retry. */
export const cardRefundKey = (refundId: string, installmentId: string, attempt: number) =>
  attempt <= 1 ? `${refundId}#${installmentId}` : `${refundId}#${installmentId}#${attempt}`;

/** Where a refund stands after attempt `attempts` gave `lines`. */
function standing(lines: Lines): 'succeeded' | 'failing' {
  return lines.every((line) => line.status === 'succeeded') ? 'succeeded' : 'failing';
}

/**
 * Records the outcome of card-return attempt `attempts` (1 = the refund itself): the lines, and the
 * refund indexed for its next retry, or out of the index (all returned, or retries spent: failed
 * lines are then `failed` for good). Conditioned on the attempt (a stale worker records nothing).
 * Returns what the refund's card returns now are, or undefined when the write lost its condition.
 */
export async function recordCardRefunds(
  refund: RefundRecord,
  lines: Lines,
  attempts: number,
  now: Date,
  event?: { order: OrderRecord; clock: Clock },
): Promise<CardRefundRetry | undefined> {
  const retryOn = standing(lines) === 'failing' ? nextRetryOn(refund, attempts, now) : undefined;
  const final = lines.map((line) =>
    line.status === 'succeeded'
      ? line
      : { ...line, status: retryOn ? ('retrying' as const) : ('failed' as const) },
  );
  const result: CardRefundRetry =
    standing(lines) === 'succeeded' ? 'succeeded' : retryOn ? 'retrying' : 'failed';
  const index = retryOn ? store.dueIndex(refund.id, retryOn) : undefined;
  const after: RefundRecord = {
    ...refund,
    cardRefunds: final,
    cardRefundAttempts: attempts,
    ...(retryOn ? { cardRefundRetryOn: retryOn } : {}),
  };
  const sets = ['cardRefunds = :lines', 'cardRefundAttempts = :n'];
  const values: Record<string, unknown> = { ':lines': final, ':n': attempts };
  if (index) {
    sets.push('duePk = :pk', 'dueSk = :sk', 'cardRefundRetryOn = :on');
    Object.assign(values, { ':pk': index.duePk, ':sk': index.dueSk, ':on': retryOn });
  }
  const removes = ['cardRefundInFlight', ...(index ? [] : ['duePk', 'dueSk', 'cardRefundRetryOn'])];
  const condition =
    attempts <= 1 ? 'attribute_exists(pk)' : 'cardRefundAttempts = :n AND cardRefundInFlight = :true';
  if (attempts > 1) values[':true'] = true;
  const update = {
    TableName: tableName(),
    Key: store.refundKey(refund.orderId, refund.id),
    UpdateExpression: `SET ${sets.join(', ')} REMOVE ${removes.join(', ')}`,
    ConditionExpression: condition,
    ExpressionAttributeValues: values,
  };
  const notify = event && result !== 'retrying';
  try {
    if (!notify) await ddb().send(new UpdateCommand(update));
    else {
      const type = result === 'succeeded' ? 'refund.card_refund_succeeded' : 'refund.card_refund_failed';
      const eventItems = webhookEventItems(
        {
          merchantId: event.order.merchantId,
          type,
          objectId: refund.id,
          sequence: attempts,
          data: toRefund(after),
        },
        event.clock,
      );
      await writeTransaction([
        { Update: update },
        ...eventItems,
        ...toBalance(event.order, after, result, now),
      ]);
    }
  } catch (error) {
    if (isConditionFailure(error) || (error as { name?: string }).name === 'TransactionCanceledException') {
      return undefined;
    }
    throw error;
  }
  return result;
}

/**
 * Collected money whose return to the card failed for good is credited to the customer's balance
 * (functions/balance), once per refund, in the same transaction: the shopper can withdraw it.
 */
function toBalance(order: OrderRecord, refund: RefundRecord, result: CardRefundRetry, now: Date) {
  const amount = refund.cardRefunds
    .filter((l) => l.status === 'failed')
    .reduce((sum, l) => sum + l.amount, 0);
  if (result !== 'failed' || amount === 0) return [];
  const credit = {
    customerId: order.customerId,
    amount,
    currency: order.currency,
    reason: 'refund' as const,
  };
  return [balanceCreditItem({ ...credit, reference: refund.id }, now)];
}

/**
 * Collected money that the customer's balance had paid goes straight back to the balance, in the
 * refund's own transaction (once per refund: reference `<refundId>#balance`); no card is involved.
 */
export function balanceReturnItems(order: OrderRecord, refund: RefundRecord, now: Date) {
  if (!refund.balanceReturnedAmount) return [];
  const credit = {
    customerId: order.customerId,
    amount: refund.balanceReturnedAmount,
    currency: order.currency,
    reason: 'refund' as const,
  };
  return [balanceCreditItem({ ...credit, reference: `${refund.id}#balance` }, now)];
}

/** Claims attempt `attempts + 1` of a refund's card returns (false if another worker moved first). */
async function claimAttempt(refund: RefundRecord): Promise<boolean> {
  try {
    await ddb().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: store.refundKey(refund.orderId, refund.id),
        UpdateExpression: 'SET cardRefundAttempts = :next, cardRefundInFlight = :true',
        ConditionExpression: 'cardRefundAttempts = :n AND attribute_not_exists(cardRefundInFlight)',
        ExpressionAttributeValues: {
          ':n': refund.cardRefundAttempts ?? 1,
          ':next': (refund.cardRefundAttempts ?? 1) + 1,
          ':true': true,
        },
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

/**
 * Tries again the failed card returns of the refund `ref` (its id in `installmentId`, as the `due`
 * index names it) when its retry day is on or before `asOf`. Returns what became of them, or
 * undefined when there was nothing to do (not due yet, settled, or another worker has it).
 */
export async function retryCardRefund(
  ref: { orderId: string; installmentId: string },
  asOf: string,
  processor: CardProcessor,
  clock: Clock,
): Promise<CardRefundRetry | undefined> {
  const partition = await store.getOrderPartition(ref.orderId);
  const refund = partition?.refunds.find((r) => r.id === ref.installmentId);
  if (!partition || !refund?.cardRefundRetryOn || refund.cardRefundRetryOn > asOf) return undefined;
  if (!refund.cardRefundInFlight && !(await claimAttempt(refund))) return undefined;
  const attempt = refund.cardRefundInFlight
    ? (refund.cardRefundAttempts ?? 1)
    : (refund.cardRefundAttempts ?? 1) + 1;
  const lines: Lines = [];
  for (const line of refund.cardRefunds) {
    if (line.status === 'succeeded' || !line.chargeId) {
      lines.push(line.chargeId ? line : { ...line, status: 'failed' });
      continue;
    }
    const outcome = await processor.refund({
      chargeId: line.chargeId,
      amount: line.amount,
      currency: refund.currency,
      idempotencyKey: cardRefundKey(refund.id, line.installmentId, attempt),
    });
    lines.push({ ...line, status: outcome.status });
  }
  return recordCardRefunds(refund, lines, attempt, clock.now(), { order: partition.order, clock });
}
