/**
 * Shopper notices (payment reminders, receipts, failures, arrears) at most once per key, through an
 * outbox in the main table, sent by a function that may reach SES/SNS.
 *
 * Jobs that notify may run again for the same work: a rerun, a redelivered queue message, two
 * workers racing. Each notice has a key naming what it is about (e.g. `receipt#ins_…#2`); a
 * conditional put of `NOTICE#<key>` both claims it and stores it, pending, in the outbox (a sparse
 * `gsi1` partition, `NOTICEQ`), so a repeated call stores and sends nothing.
 *
 * Who sends: a function granted the Notifier (and the local runtime) sends at once and marks the
 * notice sent. The charger cannot: it runs in the card-data network, which has no route to SES or
 * SNS (infra/constructs/access.ts refuses the grant). Its notices wait in the outbox for the
 * `notice-delivery` job (infra/jobs.ts, every minute), as do notices whose send failed; the job
 * retries each up to NOTICE_MAX_ATTEMPTS times, then gives up with an error log.
 *
 * Once sent, the stored address and text are removed (only the key's claim stays, to refuse a
 * repeat). Notices carry no secret: one-time codes never go through here (twofa sends those).
 */
import { PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { config } from './config.ts';
import { ddb, isConditionFailure, tableName } from './dynamodb.ts';
import { logger } from './logger.ts';
import { type Notification, notifier } from './notifier.ts';
import { GSI1 } from './tables.ts';

/** Claims are kept 400 days: longer than any plan's life between a notice and its possible rerun. */
const CLAIM_TTL_S = 400 * 86_400;
/** The outbox: a sparse gsi1 partition of the notices not yet sent, by next attempt time. */
const OUTBOX_PK = 'NOTICEQ';
/** Sends of one notice before the job gives up on it. */
export const NOTICE_MAX_ATTEMPTS = 5;
/** How long a sender holds a notice (the next attempt's earliest time if it dies mid-send). */
const LEASE_MS = 5 * 60_000;
const noticeKey = (key: string) => ({ pk: `NOTICE#${key}`, sk: 'NOTICE' });
const outboxSk = (at: number, key: string) => `${new Date(at).toISOString()}#${key}`;

let directOverride: boolean | undefined;

/**
 * Whether this function may send notices itself: where it was granted the Notifier
 * (`NOTIFY_FROM_ADDRESS` is set by the CDK Notifications construct) and locally. Tests may force it.
 */
function sendsDirectly(): boolean {
  return directOverride ?? (config().isLocal || Boolean(process.env.NOTIFY_FROM_ADDRESS));
}

/** Tests: `false` leaves every notice to the delivery job, as in the charger; `undefined` resets. */
export function setDirectNotices(direct: boolean | undefined): void {
  directOverride = direct;
}

interface StoredNotice {
  key: string;
  gsi1sk: string;
  attempts: number;
  notification: Notification;
}

/**
 * Stores `notification` under `key` unless a notice with that key exists, and sends it now where
 * this function may. Returns true when this call produced the notice (sent, or queued for the
 * delivery job); false when the key was taken or nothing could be stored. Never throws: the money
 * movement the notice reports stands either way.
 */
export async function notifyOnce(key: string, notification: Notification, now: Date): Promise<boolean> {
  const gsi1sk = outboxSk(now.getTime(), key);
  try {
    await ddb().send(
      new PutCommand({
        TableName: tableName(),
        Item: {
          ...noticeKey(key),
          type: 'notice',
          status: 'pending',
          key,
          notification,
          attempts: 0,
          createdAt: now.toISOString(),
          gsi1pk: OUTBOX_PK,
          gsi1sk,
          ttl: Math.floor(now.getTime() / 1000) + CLAIM_TTL_S,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  } catch (error) {
    if (!isConditionFailure(error)) logger.warn('notice not stored', { key, error: String(error) });
    return false;
  }
  if (sendsDirectly()) await attempt({ key, gsi1sk, attempts: 0, notification }, now);
  return true;
}

/**
 * One send of a stored notice: leased by a conditional write on its outbox position (two senders
 * never both send it), sent, then marked `sent` with its content removed. A failed send stays in
 * the outbox at the lease's end; the last allowed attempt's failure marks it `failed`.
 */
async function attempt(notice: StoredNotice, now: Date): Promise<'sent' | 'retry' | 'failed' | 'taken'> {
  const attempts = notice.attempts + 1;
  const leaseSk = outboxSk(now.getTime() + LEASE_MS, notice.key);
  try {
    await update(notice.key, 'SET gsi1sk = :lease, attempts = :n', 'gsi1sk = :seen', {
      ':lease': leaseSk,
      ':n': attempts,
      ':seen': notice.gsi1sk,
    });
  } catch (error) {
    if (isConditionFailure(error)) return 'taken';
    throw error;
  }
  try {
    await notifier().send(notice.notification);
  } catch (error) {
    const context = { key: notice.key, attempts, error: String(error) };
    if (attempts < NOTICE_MAX_ATTEMPTS) {
      logger.warn('notice not sent; the delivery job retries it', context);
      return 'retry';
    }
    logger.error('notice given up', context);
    await update(notice.key, 'SET #s = :failed REMOVE gsi1pk, gsi1sk, notification', 'gsi1sk = :lease', {
      ':failed': 'failed',
      ':lease': leaseSk,
    }).catch(() => undefined);
    return 'failed';
  }
  await update(
    notice.key,
    'SET #s = :sent, sentAt = :at REMOVE gsi1pk, gsi1sk, notification',
    'gsi1sk = :lease',
    { ':sent': 'sent', ':at': now.toISOString(), ':lease': leaseSk },
  ).catch((error) => logger.warn('notice sent but not marked', { key: notice.key, error: String(error) }));
  return 'sent';
}

function update(key: string, expression: string, condition: string, values: Record<string, unknown>) {
  return ddb().send(
    new UpdateCommand({
      TableName: tableName(),
      Key: noticeKey(key),
      UpdateExpression: expression,
      ConditionExpression: condition,
      ...(expression.includes('#s') ? { ExpressionAttributeNames: { '#s': 'status' } } : {}),
      ExpressionAttributeValues: values,
    }),
  );
}

export interface NoticeDeliveryResult {
  sent: number;
  retrying: number;
  failed: number;
}

/**
 * The `notice-delivery` job's run: sends the outbox's notices whose time has come (oldest first, at
 * most `limit`, stopping after `budgetMs` of wall time). Query of one index partition, never a Scan.
 */
export async function deliverPendingNotices(
  now: Date,
  { limit = 500, budgetMs = 45_000 }: { limit?: number; budgetMs?: number } = {},
): Promise<NoticeDeliveryResult> {
  const started = performance.now();
  const result: NoticeDeliveryResult = { sent: 0, retrying: 0, failed: 0 };
  const { Items = [] } = await ddb().send(
    new QueryCommand({
      TableName: tableName(),
      IndexName: GSI1,
      KeyConditionExpression: 'gsi1pk = :pk AND gsi1sk < :upper',
      ExpressionAttributeValues: { ':pk': OUTBOX_PK, ':upper': outboxSk(now.getTime(), '~') },
      Limit: limit,
    }),
  );
  for (const item of Items) {
    if (performance.now() - started > budgetMs) break;
    const notice: StoredNotice = {
      key: String(item.key),
      gsi1sk: String(item.gsi1sk),
      attempts: Number(item.attempts ?? 0),
      notification: item.notification as Notification,
    };
    const outcome = await attempt(notice, now);
    if (outcome === 'sent') result.sent += 1;
    if (outcome === 'retry') result.retrying += 1;
    if (outcome === 'failed') result.failed += 1;
  }
  return result;
}
