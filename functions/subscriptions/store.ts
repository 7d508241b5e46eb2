/**
 * Keys (single table):
 *   SUBSCRIPTION#<sub> / SUBSCRIPTION   a subscription: terms, status, the next period to bill
 * gsi1:
 *   MERCHANT#<mer>#SUBSCRIPTIONS  <sub>   a merchant's subscriptions, newest first
 * due (sparse, the collection index the dispatcher reads):
 *   DUE#<yyyy-mm-dd>#<shard>  <sub>        the subscription renews that day (while active)
 *
 * Every change is conditioned on the version read (and bumps it), so a renewal, a pause and a
 * charge outcome landing together never both win.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { BillingInterval } from '../installments/terms.ts';
import { ddb, fromItem, tableName } from '../lib/dynamodb.ts';
import { gsi1Page } from '../lib/list-cursor.ts';
import type { CurrencyCode } from '../lib/money.ts';
import type { TransactItem } from '../lib/transactions.ts';
import { dueIndex } from '../orders/collection-face.ts';

export type SubscriptionStatus = 'active' | 'past_due' | 'paused' | 'canceled';
export type CancelReason = 'requested' | 'agreement_revoked';

export interface SubscriptionRecord {
  id: string;
  merchantId: string;
  livemode: boolean;
  customerId: string;
  customerToken: string;
  merchantReference?: string;
  /** The amount of each period, minor units (the next periods', once a change takes effect). */
  amount: number;
  currency: CurrencyCode;
  interval: BillingInterval;
  intervalCount: number;
  /** The first billing day (start date + trial days), YYYY-MM-DD: every period is dated from it. */
  anchor: string;
  startDate: string;
  trialEnd?: string;
  status: SubscriptionStatus;
  /** The next period to bill (0-based; period n bills on billingDate(anchor, …, n)). */
  period: number;
  /** The day period `period` bills, while the subscription is in the due index. */
  nextBillingDate?: string;
  /** An amount change the shopper was told of: it applies from period `fromPeriod` on. */
  pendingAmount?: { amount: number; fromPeriod: number; effectiveDate: string };
  cancelAtPeriodEnd: boolean;
  canceledAt?: string;
  cancelReason?: CancelReason;
  /** The latest period's order: its charge outcomes move the status (active <-> past_due). */
  latestOrderId?: string;
  /** `<orderId>#<attempt>` of the last charge outcome taken (a redelivered outcome changes nothing). */
  lastOutcome?: string;
  version: number;
  createdAt: string;
  updatedAt: string;
}

export const subscriptionKey = (id: string) => ({ pk: `SUBSCRIPTION#${id}`, sk: 'SUBSCRIPTION' });
const merchantSubscriptionsPk = (merchantId: string) => `MERCHANT#${merchantId}#SUBSCRIPTIONS`;

/** The due-index attributes of a renewal on `day`: the dispatcher and shard workers find it there. */
export const renewalIndex = (id: string, day: string) => dueIndex(id, day);

export function putSubscriptionItem(subscription: SubscriptionRecord): TransactItem {
  return {
    Put: {
      TableName: tableName(),
      Item: {
        ...subscriptionKey(subscription.id),
        type: 'subscription',
        ...subscription,
        gsi1pk: merchantSubscriptionsPk(subscription.merchantId),
        gsi1sk: subscription.id,
        ...(subscription.nextBillingDate ? renewalIndex(subscription.id, subscription.nextBillingDate) : {}),
      },
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  };
}

export async function getSubscription(id: string): Promise<SubscriptionRecord | undefined> {
  const { Item } = await ddb().send(
    new GetCommand({ TableName: tableName(), Key: subscriptionKey(id), ConsistentRead: true }),
  );
  return Item ? fromItem<SubscriptionRecord>(Item) : undefined;
}

export async function listMerchantSubscriptions(merchantId: string, limit: number, afterId?: string) {
  const after = afterId ? { key: subscriptionKey(afterId), sortKey: afterId } : undefined;
  const { items, hasMore } = await gsi1Page(merchantSubscriptionsPk(merchantId), limit, after);
  return { items: items.map((item) => fromItem<SubscriptionRecord>(item)), hasMore };
}

/**
 * The subscription as `after` says, conditioned on the version of `before` (as read). Writes every
 * attribute that differs, removes the ones `after` no longer has, and keeps the due index in step
 * with `nextBillingDate` (absent: out of the index).
 */
export function subscriptionChangeItem(before: SubscriptionRecord, after: SubscriptionRecord): TransactItem {
  const names: Record<string, string> = { '#v': 'version' };
  const values: Record<string, unknown> = { ':read': before.version };
  const sets: string[] = [];
  const removes: string[] = [];
  const index = after.nextBillingDate ? renewalIndex(after.id, after.nextBillingDate) : undefined;
  const next: Record<string, unknown> = { ...after, ...(index ?? {}) };
  const previous: Record<string, unknown> = { ...before };
  for (const [key, value] of Object.entries(next)) {
    if (key === 'id' || JSON.stringify(previous[key]) === JSON.stringify(value)) continue;
    const i = sets.length;
    names[`#s${i}`] = key;
    values[`:s${i}`] = value;
    sets.push(`#s${i} = :s${i}`);
  }
  const gone = [
    ...Object.keys(previous).filter((key) => !(key in next)),
    ...(index ? [] : ['duePk', 'dueSk']),
  ];
  for (const key of gone) {
    const i = removes.length;
    names[`#r${i}`] = key;
    removes.push(`#r${i}`);
  }
  return {
    Update: {
      TableName: tableName(),
      Key: subscriptionKey(after.id),
      UpdateExpression: [
        sets.length ? `SET ${sets.join(', ')}` : '',
        removes.length ? `REMOVE ${removes.join(', ')}` : '',
      ]
        .filter(Boolean)
        .join(' '),
      ConditionExpression: '#v = :read',
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    },
  };
}
