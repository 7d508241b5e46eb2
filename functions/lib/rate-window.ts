/**
 * Fixed-window rate counters in the main table: `RATE#<counter>#<window> / RATE`, one item per
 * counter and window, gone by TTL a minute after its window ends. The increment is conditional, so
 * concurrent requests can never count past `max`.
 */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ddb, isConditionFailure, tableName } from './dynamodb.ts';
import type { TransactItem } from './transactions.ts';

export interface WindowLimit {
  max: number;
  windowMs: number;
}

/**
 * One more event on `counter` (e.g. `otp-phone#<hash>`) in the window holding `nowMs`; the item's
 * condition fails once `max` were counted. `windowEndsAtMs` is when the next window opens.
 */
export function windowCounterItem(
  counter: string,
  limit: WindowLimit,
  nowMs: number,
): { item: TransactItem; windowEndsAtMs: number } {
  const window = Math.floor(nowMs / limit.windowMs);
  const windowEndsAtMs = (window + 1) * limit.windowMs;
  return {
    windowEndsAtMs,
    item: {
      Update: {
        TableName: tableName(),
        Key: { pk: `RATE#${counter}#${window}`, sk: 'RATE' },
        UpdateExpression: 'SET sends = if_not_exists(sends, :zero) + :one, #ttl = :ttl, #type = :type',
        ConditionExpression: 'attribute_not_exists(sends) OR sends < :max',
        ExpressionAttributeNames: { '#ttl': 'ttl', '#type': 'type' },
        ExpressionAttributeValues: {
          ':zero': 0,
          ':one': 1,
          ':max': limit.max,
          ':ttl': Math.ceil(windowEndsAtMs / 1000) + 60,
          ':type': 'rateCounter',
        },
      },
    },
  };
}

/** Counts one event on its own: `{ ok: false, retryAfterMs }` once the current window is full. */
export async function countInWindow(
  counter: string,
  limit: WindowLimit,
  nowMs: number,
): Promise<{ ok: true } | { ok: false; retryAfterMs: number }> {
  const { item, windowEndsAtMs } = windowCounterItem(counter, limit, nowMs);
  if (!item.Update) throw new Error('windowCounterItem is an Update');
  try {
    await ddb().send(new UpdateCommand(item.Update));
    return { ok: true };
  } catch (error) {
    if (isConditionFailure(error)) return { ok: false, retryAfterMs: windowEndsAtMs - nowMs };
    throw error;
  }
}
