/**
 * At most one send per key, through the Notifier port. Jobs that notify (collection's reminders,
 * receipts, failures, arrears) may run again for the same work: a rerun, a redelivered queue message,
 * two workers racing. Each notice has a key naming what it is about (e.g. `receipt#ins_…#2`); a
 * conditional put of `NOTICE#<key>` claims it before the send, so a repeated call sends nothing.
 *
 * At most once, not at least once: the claim comes first, so a crash between the claim and the send
 * loses that notice rather than risking a duplicate (a shopper told twice about one charge is the
 * worse failure; the order's state, and the merchant's webhooks, carry the truth either way).
 */
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { ddb, isConditionFailure, tableName } from './dynamodb.ts';
import { logger } from './logger.ts';
import { type Notification, notifier } from './notifier.ts';

/** Claims are kept 400 days: longer than any plan's life between a notice and its possible rerun. */
const CLAIM_TTL_S = 400 * 86_400;

/**
 * Sends `notification` unless a notice with `key` was already claimed. Returns true when this call
 * sent it. Best effort: a failed send is logged, never thrown (the money movement it reports stands).
 */
export async function notifyOnce(key: string, notification: Notification, now: Date): Promise<boolean> {
  try {
    await ddb().send(
      new PutCommand({
        TableName: tableName(),
        Item: {
          pk: `NOTICE#${key}`,
          sk: 'NOTICE',
          type: 'notice',
          customerId: notification.customerId,
          createdAt: now.toISOString(),
          ttl: Math.floor(now.getTime() / 1000) + CLAIM_TTL_S,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  } catch (error) {
    if (isConditionFailure(error)) return false;
    logger.warn('notice not claimed', { key, error: String(error) });
    return false;
  }
  try {
    await notifier().send(notification);
    return true;
  } catch (error) {
    logger.warn('notice not sent', { key, customerId: notification.customerId, error: String(error) });
    return false;
  }
}
