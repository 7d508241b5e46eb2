/**
 * The credit capability's face: the limit a customer's credit application granted, which caps their
 * checkout authorizations (functions/checkout). The cap is on the customer's TOTAL exposure, not on
 * each approval (issue 11: a customer with a 1,000.00 limit and 800.00 outstanding cannot authorize
 * 300.00): what their open orders owe or may still capture (read through the orders face,
 * orders/credit-exposure.ts), plus the approvals not yet redeemed for an order (holds on the limit
 * record, until the approval expires), plus the amount asked. The check commits in the
 * authorization's own transaction, conditioned on the limit and on the limit record's version, so
 * two concurrent authorizations cannot both use the same headroom, and a new limit re-checks them.
 * docs/adr/0027-installments-paid-from-the-balance.md (section "Credit limit").
 */

import type { Clock } from '../lib/clock.ts';
import { tableName } from '../lib/dynamodb.ts';
import { DomainError } from '../lib/errors.ts';
import type { CurrencyCode } from '../lib/money.ts';
import { formatMoney } from '../lib/money.ts';
import type { TransactItem } from '../lib/transactions.ts';
import { creditExposure } from '../orders/collection-face.ts';
import {
  getLimit,
  getLimitRecord,
  type LimitHold,
  type LimitRecord,
  limitCheckItem,
  limitKey,
} from './store.ts';

export async function creditLimit(customerId: string, currency: CurrencyCode): Promise<number | undefined> {
  return getLimit(customerId, currency);
}

/**
 * A condition for the caller's transaction (no extra read): holds when the customer has no limit in
 * `currency`, or `amount` ALONE is within it. Kept for callers that check one amount; checkout uses
 * `creditLimitCheckItem`, which counts what is already outstanding.
 */
export function withinCreditLimitItem(
  customerId: string,
  amount: number,
  currency: CurrencyCode,
): TransactItem {
  return {
    ConditionCheck: {
      TableName: tableName(),
      Key: limitKey(customerId, currency),
      ConditionExpression: 'attribute_not_exists(pk) OR #limit >= :amount',
      ExpressionAttributeNames: { '#limit': 'limit' },
      ExpressionAttributeValues: { ':amount': amount },
    },
  };
}

interface Standing {
  limit: LimitRecord;
  /** Exposure on open orders plus live holds, minor units. */
  outstanding: number;
  /** The holds still counting (live, not yet an order). */
  holds: Record<string, LimitHold>;
}

/** Where the customer stands against their limit now (undefined: no limit in `currency`). */
async function standing(
  customerId: string,
  currency: CurrencyCode,
  now: Date,
): Promise<Standing | undefined> {
  const limit = await getLimitRecord(customerId, currency);
  if (!limit) return undefined;
  const exposure = await creditExposure(customerId, currency, now);
  const holds = Object.fromEntries(
    Object.entries(limit.holds).filter(
      ([sessionId, hold]) =>
        Date.parse(hold.expiresAt) > now.getTime() && !exposure.checkoutSessionIds.has(sessionId),
    ),
  );
  const held = Object.values(holds).reduce((sum, hold) => sum + hold.amount, 0);
  return { limit, outstanding: exposure.amount + held, holds };
}

/**
 * The credit-limit part of a checkout authorization's transaction. Without a limit in `currency`:
 * a check that no limit appeared meanwhile. With one: an update of the limit record that holds
 * `amount` for this approval (`hold`: its checkout session and expiry) and is conditioned on
 * outstanding + amount <= limit and on the version read. When it is lost, answer `creditRefusal`.
 * Reads: the limit record, and the customer's orders when there is a limit.
 */
export async function creditLimitCheckItem(
  customerId: string,
  amount: number,
  currency: CurrencyCode,
  hold: { checkoutSessionId: string; expiresAt: string },
  clock: Clock,
): Promise<TransactItem> {
  const now = clock.now();
  const current = await standing(customerId, currency, now);
  if (!current) {
    return {
      ConditionCheck: {
        TableName: tableName(),
        Key: limitKey(customerId, currency),
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    };
  }
  const holds = { ...current.holds, [hold.checkoutSessionId]: { amount, expiresAt: hold.expiresAt } };
  return limitCheckItem(customerId, currency, current.limit, current.outstanding + amount, holds);
}

/**
 * Why the credit part of an authorization was lost, read again now: 422 `credit_limit_exceeded`
 * when `amount` does not fit beside what is outstanding; otherwise (another authorization or a new
 * limit came in between) 409 `concurrent_update`, to retry.
 */
export async function creditRefusal(
  customerId: string,
  amount: number,
  currency: CurrencyCode,
  clock: Clock,
): Promise<DomainError> {
  const current = await standing(customerId, currency, clock.now());
  if (current && current.outstanding + amount > current.limit.limit) {
    const { limit } = current.limit;
    return new DomainError(
      'rejected',
      'credit_limit_exceeded',
      `The amount is above what is left of your credit limit of ${formatMoney(limit, currency)}: ` +
        `${formatMoney(current.outstanding, currency)} is outstanding.`,
      'amount',
    );
  }
  return new DomainError('conflict', 'concurrent_update', 'Your credit changed meanwhile; retry.');
}

/** 422 `credit_limit_exceeded` (reads the limit to name it). */
export async function creditLimitExceeded(customerId: string, currency: CurrencyCode): Promise<DomainError> {
  const limit = (await getLimit(customerId, currency)) ?? 0;
  return new DomainError(
    'rejected',
    'credit_limit_exceeded',
    `The amount is above your credit limit of ${formatMoney(limit, currency)}.`,
    'amount',
  );
}
