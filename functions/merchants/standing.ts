/**
 * Merchants' face for the capabilities that act for a merchant without its API key (a shopper's
 * approval) or must not outlive a suspension mid-request (order creation): is the merchant in good
 * standing, and the transaction item that makes a write depend on it. A suspension therefore stops
 * approvals and order creation at once, for sessions opened before it too (issue 9).
 */
import { tableName } from '../lib/dynamodb.ts';
import { DomainError } from '../lib/errors.ts';
import type { TransactItem } from '../lib/transactions.ts';
import { getMerchant, merchantKey } from './store.ts';

/** True when the merchant exists and is active (a strongly consistent read). */
export async function isMerchantActive(merchantId: string): Promise<boolean> {
  return (await getMerchant(merchantId))?.status === 'active';
}

/** A condition on the merchant being active when the transaction commits (no write). */
export function merchantActiveItem(merchantId: string): TransactItem {
  return {
    ConditionCheck: {
      TableName: tableName(),
      Key: merchantKey(merchantId),
      ConditionExpression: '#status = :active',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':active': 'active' },
    },
  };
}

/** The refusal a suspended merchant gets for its own requests. */
export const merchantSuspended = () =>
  new DomainError(
    'denied',
    'merchant_suspended',
    'This merchant account is suspended and cannot use the API.',
  );

/** The merchant's name as shoppers see it (the hosted checkout page), or undefined when unknown. */
export async function merchantDisplayName(merchantId: string): Promise<string | undefined> {
  return (await getMerchant(merchantId))?.name;
}
