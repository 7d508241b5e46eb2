import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { ddb, fromItem, tableName } from '../lib/dynamodb.ts';
import { notFound } from '../lib/errors.ts';
import { conflictOnCancel, type TransactItem, writeTransaction } from '../lib/transactions.ts';
import type { MerchantStatus } from './schema.ts';

/**
 * Keys (single-table):
 *   MERCHANT#<id> / MERCHANT      the merchant, with `version` for conditional transitions
 *   APIKEY#<sha256> / APIKEY      key hash -> merchant; carries the status so auth is one read
 */
export interface MerchantRecord {
  id: string;
  name: string;
  status: MerchantStatus;
  webhookUrl?: string;
  webhookSecret?: string;
  apiKeyHash: string;
  apiKeyLast4: string;
  livemode: boolean;
  createdAt: string;
  updatedAt: string;
  version: number;
}

export interface ApiKeyRecord {
  merchantId: string;
  keyHash: string;
  status: MerchantStatus;
  livemode: boolean;
}

export const merchantKey = (id: string) => ({ pk: `MERCHANT#${id}`, sk: 'MERCHANT' });
const apiKeyKey = (hash: string) => ({ pk: `APIKEY#${hash}`, sk: 'APIKEY' });

function apiKeyPut(merchant: MerchantRecord): TransactItem {
  return {
    Put: {
      TableName: tableName(),
      Item: {
        ...apiKeyKey(merchant.apiKeyHash),
        type: 'apiKey',
        merchantId: merchant.id,
        keyHash: merchant.apiKeyHash,
        status: merchant.status,
        livemode: merchant.livemode,
        createdAt: merchant.updatedAt,
      },
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  };
}

/** The items that create a merchant; callers may add their own (e.g. the seed marker). */
export function createMerchantItems(merchant: MerchantRecord): TransactItem[] {
  return [
    {
      Put: {
        TableName: tableName(),
        Item: { ...merchantKey(merchant.id), type: 'merchant', ...merchant },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    },
    apiKeyPut(merchant),
  ];
}

/** Writes merchant items in one transaction; a lost condition is 409 `concurrent_update`. */
export function writeItems(items: TransactItem[]): Promise<void> {
  return conflictOnCancel(
    () => writeTransaction(items),
    'The merchant was changed by another request; retry.',
  );
}

export async function getMerchant(id: string): Promise<MerchantRecord | undefined> {
  const { Item } = await ddb().send(
    new GetCommand({ TableName: tableName(), Key: merchantKey(id), ConsistentRead: true }),
  );
  if (!Item) return undefined;
  return fromItem<MerchantRecord>(Item);
}

export async function requireMerchant(id: string): Promise<MerchantRecord> {
  const merchant = await getMerchant(id);
  if (!merchant) throw notFound(`No such merchant: ${id}.`, 'id');
  return merchant;
}

/** Strongly consistent, so a rotation or suspension takes effect on the very next request. */
export async function getApiKey(hash: string): Promise<ApiKeyRecord | undefined> {
  const { Item } = await ddb().send(
    new GetCommand({ TableName: tableName(), Key: apiKeyKey(hash), ConsistentRead: true }),
  );
  return Item as ApiKeyRecord | undefined;
}

/** Status change on the merchant and its key item, guarded by the merchant's version. */
export async function updateStatus(
  merchant: MerchantRecord,
  status: MerchantStatus,
  at: string,
): Promise<void> {
  await writeItems([
    {
      Update: {
        TableName: tableName(),
        Key: merchantKey(merchant.id),
        UpdateExpression: 'SET #status = :status, updatedAt = :at, version = version + :one',
        ConditionExpression: 'version = :version',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':status': status, ':at': at, ':one': 1, ':version': merchant.version },
      },
    },
    {
      Update: {
        TableName: tableName(),
        Key: apiKeyKey(merchant.apiKeyHash),
        UpdateExpression: 'SET #status = :status',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':status': status },
      },
    },
  ]);
}

/** Swaps the key in one transaction: the old hash stops resolving the moment this commits. */
export async function replaceApiKey(merchant: MerchantRecord, next: MerchantRecord): Promise<void> {
  await writeItems([
    {
      Update: {
        TableName: tableName(),
        Key: merchantKey(merchant.id),
        UpdateExpression:
          'SET apiKeyHash = :hash, apiKeyLast4 = :last4, updatedAt = :at, version = version + :one',
        ConditionExpression: 'version = :version',
        ExpressionAttributeValues: {
          ':hash': next.apiKeyHash,
          ':last4': next.apiKeyLast4,
          ':at': next.updatedAt,
          ':one': 1,
          ':version': merchant.version,
        },
      },
    },
    {
      Delete: {
        TableName: tableName(),
        Key: apiKeyKey(merchant.apiKeyHash),
        ConditionExpression: 'attribute_exists(pk)',
      },
    },
    apiKeyPut(next),
  ]);
}
