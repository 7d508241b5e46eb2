/**
 * The credit capability's face: the limit a customer's credit application granted, which caps their
 * checkout authorizations (functions/checkout). Undefined when they never had one approved.
 */

import { tableName } from '../lib/dynamodb.ts';
import { DomainError } from '../lib/errors.ts';
import type { CurrencyCode } from '../lib/money.ts';
import { formatMoney } from '../lib/money.ts';
import type { TransactItem } from '../lib/transactions.ts';
import { getLimit, limitKey } from './store.ts';

export async function creditLimit(customerId: string, currency: CurrencyCode): Promise<number | undefined> {
  return getLimit(customerId, currency);
}

/**
 * A condition for the caller's transaction (no extra read): holds when the customer has no limit in
 * `currency`, or `amount` is within it. When it is lost, answer `creditLimitExceeded`.
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
