import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { ddb, fromItem, tableName } from '../lib/dynamodb.ts';
import { queryAll, type TransactItem } from '../lib/transactions.ts';

/**
 * A merchant's webhook endpoints (several per merchant, each with its own secret and event types):
 *   WEBHOOKS#<mer> / ENDPOINT#<we>   one endpoint; one Query reads a merchant's endpoints
 * The signing secret is stored ENCRYPTED (base64 of a KeyService blob under SECRETS_KEY_ID, bound
 * to the merchant), never plaintext, never in a response. Every change is conditional on `version`.
 */
export interface EndpointRecord {
  id: string;
  merchantId: string;
  url: string;
  /** Event types sent to it; `*` is every type. */
  enabledEvents: string[];
  status: 'enabled' | 'disabled';
  description?: string;
  secretCiphertext: string;
  secretCreatedAt: string;
  /** The secret replaced by the last rotation: it keeps signing (a second v1) until it expires. */
  previousSecretCiphertext?: string;
  previousSecretExpiresAt?: string;
  version: number;
  createdAt: string;
  updatedAt: string;
}

export const endpointsPk = (merchantId: string) => `WEBHOOKS#${merchantId}`;
export const endpointKey = (merchantId: string, id: string) => ({
  pk: endpointsPk(merchantId),
  sk: `ENDPOINT#${id}`,
});

/** The merchant's endpoints, oldest first (ids are ULIDs). Strongly consistent. */
export async function listEndpointRecords(merchantId: string): Promise<EndpointRecord[]> {
  const items = await queryAll({
    TableName: tableName(),
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :sk)',
    ExpressionAttributeValues: { ':pk': endpointsPk(merchantId), ':sk': 'ENDPOINT#' },
    ConsistentRead: true,
  });
  return items.map((item) => fromItem<EndpointRecord>(item));
}

/** The merchant's endpoint `id`; undefined for another merchant's (the key holds the merchant). */
export async function getEndpointRecord(merchantId: string, id: string): Promise<EndpointRecord | undefined> {
  const { Item } = await ddb().send(
    new GetCommand({ TableName: tableName(), Key: endpointKey(merchantId, id), ConsistentRead: true }),
  );
  return Item ? fromItem<EndpointRecord>(Item) : undefined;
}

/**
 * Writes the endpoint: a new one never overwrites another; a changed one (`next.version` = the
 * version read + 1) is conditional on the version read.
 */
export function putEndpointItem(next: EndpointRecord): TransactItem {
  return {
    Put: {
      TableName: tableName(),
      Item: { ...endpointKey(next.merchantId, next.id), type: 'webhookEndpoint', ...next },
      ...(next.version === 1
        ? { ConditionExpression: 'attribute_not_exists(pk)' }
        : {
            ConditionExpression: 'attribute_exists(pk) AND version = :read',
            ExpressionAttributeValues: { ':read': next.version - 1 },
          }),
    },
  };
}

export function deleteEndpointItem(
  record: Pick<EndpointRecord, 'merchantId' | 'id' | 'version'>,
): TransactItem {
  return {
    Delete: {
      TableName: tableName(),
      Key: endpointKey(record.merchantId, record.id),
      ConditionExpression: 'version = :read',
      ExpressionAttributeValues: { ':read': record.version },
    },
  };
}
