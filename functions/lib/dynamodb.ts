import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { config } from './config.ts';

let documentClient: DynamoDBDocumentClient | undefined;

/**
 * The one DynamoDB client of the container, created on first use (not at import, so tests and the
 * local runtime can set DYNAMODB_ENDPOINT first) and reused by every invocation.
 */
export function ddb(): DynamoDBDocumentClient {
  if (!documentClient) {
    const { DYNAMODB_ENDPOINT, AWS_REGION } = config();
    const client = new DynamoDBClient({
      region: AWS_REGION,
      ...(DYNAMODB_ENDPOINT ? { endpoint: DYNAMODB_ENDPOINT } : {}),
      maxAttempts: 3,
    });
    documentClient = DynamoDBDocumentClient.from(client, {
      marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
    });
  }
  return documentClient;
}

export function resetDdb(): void {
  documentClient?.destroy();
  documentClient = undefined;
}

export const tableName = () => config().TABLE_NAME;

/** Attributes that exist only to key and index an item; they are never part of the record. */
const KEY_ATTRIBUTES = ['pk', 'sk', 'type', 'gsi1pk', 'gsi1sk', 'gsi2pk', 'gsi2sk', 'duePk', 'dueSk'];

/**
 * An item as its record: the key and index attributes dropped, except those a record keeps on
 * purpose (`keep`), plus any the record does not carry (`drop`, e.g. a session's `ttl`).
 */
export function fromItem<T>(
  item: Record<string, unknown>,
  options: { keep?: readonly string[]; drop?: readonly string[] } = {},
): T {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(item)) {
    const storageOnly = KEY_ATTRIBUTES.includes(key) || options.drop?.includes(key) === true;
    if (!storageOnly || options.keep?.includes(key) === true) out[key] = value;
  }
  return out as T;
}
export const vaultTableName = () => config().VAULT_TABLE_NAME;

/** True when a write lost its condition (a concurrent or out-of-order change). */
export function isConditionFailure(error: unknown): boolean {
  const name = (error as { name?: string } | null)?.name;
  return name === 'ConditionalCheckFailedException';
}

/** True when a transaction was cancelled, optionally because of a condition on item `index`. */
export function transactionCancelReasons(error: unknown): string[] | undefined {
  const e = error as { name?: string; CancellationReasons?: { Code?: string }[] } | null;
  if (e?.name !== 'TransactionCanceledException') return undefined;
  return (e.CancellationReasons ?? []).map((r) => r.Code ?? 'None');
}
