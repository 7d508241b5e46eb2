/**
 * Keys (single table):
 *   AGREEMENT#<ctok> / AGREEMENT   a recurring agreement: who approved it for which merchant, its terms,
 *                                  the card it charges, active or revoked (every change bumps version)
 * gsi1:
 *   CUSTOMER#<cus>#AGREEMENTS  <ctok>   the shopper's agreements, newest first (GET /v1/me/agreements)
 *
 * The customer token (`ctok_…`) is the agreement's id. It is no secret: only the API key of the
 * merchant it was approved for can charge with it, so it is stored as is (like an order id).
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { AgreementCadence } from '../lib/agreement-terms.ts';
import { ddb, fromItem, tableName } from '../lib/dynamodb.ts';
import { gsi1Page } from '../lib/list-cursor.ts';
import type { CurrencyCode } from '../lib/money.ts';
import type { TransactItem } from '../lib/transactions.ts';

export type AgreementStatus = 'active' | 'revoked';

export interface AgreementRecord {
  id: string;
  merchantId: string;
  livemode: boolean;
  customerId: string;
  /** The checkout session the shopper approved it on. */
  checkoutSessionId: string;
  purpose: string;
  /** The most one charge may be, minor units of `currency`. */
  maxAmount: number;
  currency: CurrencyCode;
  cadence: AgreementCadence;
  cardToken: string;
  cardBrand: string;
  cardLast4: string;
  /** The card's keyed fingerprint (vault), for account monitoring's rules. */
  cardFingerprint?: string;
  status: AgreementStatus;
  revokedAt?: string;
  version: number;
  createdAt: string;
  updatedAt: string;
}

export const agreementKey = (id: string) => ({ pk: `AGREEMENT#${id}`, sk: 'AGREEMENT' });
const customerAgreementsPk = (customerId: string) => `CUSTOMER#${customerId}#AGREEMENTS`;

export function putAgreementItem(agreement: AgreementRecord): TransactItem {
  return {
    Put: {
      TableName: tableName(),
      Item: {
        ...agreementKey(agreement.id),
        type: 'agreement',
        ...agreement,
        gsi1pk: customerAgreementsPk(agreement.customerId),
        gsi1sk: agreement.id,
      },
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  };
}

export async function getAgreement(id: string): Promise<AgreementRecord | undefined> {
  const { Item } = await ddb().send(
    new GetCommand({ TableName: tableName(), Key: agreementKey(id), ConsistentRead: true }),
  );
  return Item ? fromItem<AgreementRecord>(Item) : undefined;
}

/** The shopper's agreements, newest first (always inside the shopper's partition). */
export async function listCustomerAgreements(customerId: string, limit: number, afterId?: string) {
  const after = afterId ? { key: agreementKey(afterId), sortKey: afterId } : undefined;
  const { items, hasMore } = await gsi1Page(customerAgreementsPk(customerId), limit, after);
  return { items: items.map((item) => fromItem<AgreementRecord>(item)), hasMore };
}

/**
 * A change of the agreement conditioned on the version read and on it being active: a revoked
 * agreement never changes again.
 */
export function agreementUpdateItem(
  agreement: Pick<AgreementRecord, 'id' | 'version'>,
  set: Record<string, unknown>,
  at: string,
): TransactItem {
  const names: Record<string, string> = { '#status': 'status', '#v': 'version' };
  const values: Record<string, unknown> = {
    ':active': 'active',
    ':read': agreement.version,
    ':next': agreement.version + 1,
    ':at': at,
  };
  const sets = Object.entries(set).map(([key, value], i) => {
    names[`#s${i}`] = key;
    values[`:s${i}`] = value;
    return `#s${i} = :s${i}`;
  });
  return {
    Update: {
      TableName: tableName(),
      Key: agreementKey(agreement.id),
      UpdateExpression: `SET ${[...sets, '#v = :next', 'updatedAt = :at'].join(', ')}`,
      ConditionExpression: '#status = :active AND #v = :read',
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    },
  };
}

/**
 * A condition for a charge's transaction: the agreement is still active and this merchant's, at
 * the moment of writing (a revocation landing mid-request still stops the charge).
 */
export function agreementActiveItem(id: string, merchantId: string): TransactItem {
  return {
    ConditionCheck: {
      TableName: tableName(),
      Key: agreementKey(id),
      ConditionExpression: '#status = :active AND merchantId = :merchant',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':active': 'active', ':merchant': merchantId },
    },
  };
}
