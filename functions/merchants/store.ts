import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ddb, fromItem, tableName } from '../lib/dynamodb.ts';
import { notFound } from '../lib/errors.ts';
import { GSI1 } from '../lib/tables.ts';
import { conflictOnCancel, type TransactItem, writeTransaction } from '../lib/transactions.ts';
import type { KybStatus, MerchantStatus } from './schema.ts';

/**
 * Keys (single-table):
 *   MERCHANT#<id> / MERCHANT      the merchant, with `version` for conditional transitions
 *   APIKEY#<sha256> / APIKEY      key hash -> merchant; carries the status so auth is one read
 *   KYB#<checkId> / KYB           a KYB check -> its merchant (the provider's callback names the check)
 *   KYBCB#<callbackId> / KYBCB    a KYB callback received (a replay fails its conditional put)
 * The merchant list is GSI1 `MERCHANTS` sorted by id (ids are time-ordered).
 */
export interface KybCheckState {
  id: string;
  status: KybStatus;
  provider: string;
  createdAt: string;
  decidedAt?: string;
  reasons?: string[];
}

export interface MerchantRecord {
  id: string;
  name: string;
  status: MerchantStatus;
  /** Why the status is what it is (an operator's reason, a KYB decision), when known. */
  statusReason?: string;
  kyb?: KybCheckState;
  /** The legal entity as checked; the registration number only as its last 4. */
  business?: { legalName: string; registrationNumberLast4: string; country: string };
  webhookUrl?: string;
  webhookSecret?: string;
  apiKeyHash: string;
  apiKeyLast4: string;
  /** The API Gateway id of the merchant's usage key (`x-api-key`), where keys are required; never its value. */
  usageKeyId?: string;
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
const listKey = (id: string) => ({ gsi1pk: 'MERCHANTS', gsi1sk: id });
export const kybCheckKey = (checkId: string) => ({ pk: `KYB#${checkId}`, sk: 'KYB' });
export const kybCallbackKey = (callbackId: string) => ({ pk: `KYBCB#${callbackId}`, sk: 'KYBCB' });

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
        Item: { ...merchantKey(merchant.id), type: 'merchant', ...merchant, ...listKey(merchant.id) },
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

/**
 * The items of a status change on the merchant and its key item, guarded by the merchant's version;
 * `set` adds attributes to the merchant (the reason, the KYB state). The caller adds its audit item.
 */
export function statusChangeItems(
  merchant: MerchantRecord,
  status: MerchantStatus,
  at: string,
  set: Partial<Pick<MerchantRecord, 'statusReason' | 'kyb'>> = {},
): TransactItem[] {
  const extra = Object.entries(set);
  return [
    {
      Update: {
        TableName: tableName(),
        Key: merchantKey(merchant.id),
        UpdateExpression: [
          'SET #status = :status, updatedAt = :at, version = version + :one',
          ...extra.map((_entry, i) => `, #x${i} = :x${i}`),
        ].join(''),
        ConditionExpression: 'version = :version',
        ExpressionAttributeNames: {
          '#status': 'status',
          ...Object.fromEntries(extra.map(([name], i) => [`#x${i}`, name])),
        },
        ExpressionAttributeValues: {
          ':status': status,
          ':at': at,
          ':one': 1,
          ':version': merchant.version,
          ...Object.fromEntries(extra.map(([, value], i) => [`:x${i}`, value])),
        },
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
  ];
}

/** One page of the merchant list (oldest first), optionally of one status. */
export async function listMerchants(options: {
  status?: MerchantStatus | undefined;
  limit: number;
  startingAfter?: string | undefined;
}): Promise<{ merchants: MerchantRecord[]; hasMore: boolean }> {
  const merchants: MerchantRecord[] = [];
  let startKey: Record<string, unknown> | undefined = options.startingAfter
    ? { ...listKey(options.startingAfter), ...merchantKey(options.startingAfter) }
    : undefined;
  // A status filter may leave a page short: read on until the page is full or the list ends.
  do {
    const page = await ddb().send(
      new QueryCommand({
        TableName: tableName(),
        IndexName: GSI1,
        KeyConditionExpression: 'gsi1pk = :list',
        ExpressionAttributeValues: {
          ':list': 'MERCHANTS',
          ...(options.status ? { ':status': options.status } : {}),
        },
        ...(options.status
          ? { FilterExpression: '#status = :status', ExpressionAttributeNames: { '#status': 'status' } }
          : {}),
        ExclusiveStartKey: startKey,
        Limit: options.limit + 1 - merchants.length,
      }),
    );
    for (const item of page.Items ?? []) merchants.push(fromItem<MerchantRecord>(item));
    startKey = page.LastEvaluatedKey;
  } while (startKey && merchants.length <= options.limit);
  return { merchants: merchants.slice(0, options.limit), hasMore: merchants.length > options.limit };
}

/** Swaps the key in one transaction: the old hash stops resolving the moment this commits. */
export async function replaceApiKey(
  merchant: MerchantRecord,
  next: MerchantRecord,
  extra: TransactItem[] = [],
): Promise<void> {
  await writeItems([
    ...extra,
    {
      Update: {
        TableName: tableName(),
        Key: merchantKey(merchant.id),
        UpdateExpression: [
          'SET apiKeyHash = :hash, apiKeyLast4 = :last4, updatedAt = :at, version = version + :one',
          ...(next.usageKeyId ? [', usageKeyId = :usageKeyId'] : []),
        ].join(''),
        ConditionExpression: 'version = :version',
        ExpressionAttributeValues: {
          ':hash': next.apiKeyHash,
          ':last4': next.apiKeyLast4,
          ...(next.usageKeyId ? { ':usageKeyId': next.usageKeyId } : {}),
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
