import { createHash } from 'node:crypto';
import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import type { Clock } from '../lib/clock.ts';
import { ddb, fromItem, isConditionFailure, vaultTableName } from '../lib/dynamodb.ts';
import type { CardBrand } from './card.ts';
import type { EnvelopeRecord } from './envelope.ts';

/**
 * The vault table (the CDE). Nothing else in the system reads or writes it. Keys:
 *
 *   TOKEN#<tok> / CARD              the card: envelope (ciphertext, iv, tag, wrappedKey, keyId,
 *                                   keyVersion), brand, last4, expiry, fingerprint, status,
 *                                   version. Deleted = a tombstone without envelope or fingerprint.
 *   CUSTOMER#<cus> / CARD#<tok>     the customer's card list (summary only; no envelope)
 *   CUSTOMER#<cus> / FP#<fp>        this customer already holds the card -> its token (dedupe)
 *   WRAP#<keyId>#<ver>#<shard> / TOKEN#<tok>
 *                                   which records a wrapping key version protects, so a re-wrap
 *                                   Queries exactly the records it must move (no Scan, no GSI)
 *   WRAPKEYS / <keyId>#<ver>        the wrapping key versions ever used (a handful of items)
 *   AUDIT#<tok> / <at>#<evt>        detokenizations: who, why, when (never the PAN)
 *
 * One card on several customers is account monitoring's to see: the fingerprint travels with the
 * card summary (`access.ts` `getCard`) into its `RISK#card#<fp>` aggregate in the main table, the
 * one place the shared-card rule reads (docs/adr/0033-shared-card-from-aggregates.md).
 *
 * No plaintext PAN and no CVC is ever written; the PAN lives only inside `ciphertext`.
 */
export const WRAP_SHARDS = 8;

export type CardStatus = 'active' | 'deleted';

export interface CardRecord extends EnvelopeRecord {
  token: string;
  customerId: string;
  status: 'active';
  brand: CardBrand;
  last4: string;
  expMonth: number;
  expYear: number;
  fingerprintId: string;
  createdAt: string;
  updatedAt: string;
  version: number;
}

export interface CardTombstone {
  token: string;
  customerId: string;
  status: 'deleted';
  deletedAt: string;
  version: number;
}

export interface CardSummaryItem {
  token: string;
  brand: CardBrand;
  last4: string;
  expMonth: number;
  expYear: number;
  createdAt: string;
}

export const cardKey = (token: string) => ({ pk: `TOKEN#${token}`, sk: 'CARD' });
export const customerCardKey = (customerId: string, token: string) => ({
  pk: `CUSTOMER#${customerId}`,
  sk: `CARD#${token}`,
});
export const customerFingerprintKey = (customerId: string, fingerprintId: string) => ({
  pk: `CUSTOMER#${customerId}`,
  sk: `FP#${fingerprintId}`,
});
const WRAPKEYS_PK = 'WRAPKEYS';

/** Spreads one key version's members over a few partitions, so tokenization never has one hot key. */
export function wrapShard(token: string): number {
  return (createHash('sha256').update(token).digest()[0] ?? 0) % WRAP_SHARDS;
}
export const wrapListPk = (keyId: string, keyVersion: string, shard: number) =>
  `WRAP#${keyId}#${keyVersion}#${shard}`;
export const wrapMemberKey = (keyId: string, keyVersion: string, token: string) => ({
  pk: wrapListPk(keyId, keyVersion, wrapShard(token)),
  sk: `TOKEN#${token}`,
});

/** The card or its tombstone, strongly consistent (a delete must take effect on the next read). */
export async function getCardItem(token: string): Promise<CardRecord | CardTombstone | undefined> {
  const { Item } = await ddb().send(
    new GetCommand({ TableName: vaultTableName(), Key: cardKey(token), ConsistentRead: true }),
  );
  return Item ? fromItem<CardRecord | CardTombstone>(Item) : undefined;
}

/** The token this customer already holds for a fingerprint, if any. */
export async function findCustomerToken(
  customerId: string,
  fingerprintId: string,
): Promise<string | undefined> {
  const { Item } = await ddb().send(
    new GetCommand({
      TableName: vaultTableName(),
      Key: customerFingerprintKey(customerId, fingerprintId),
      ConsistentRead: true,
    }),
  );
  return typeof Item?.token === 'string' ? Item.token : undefined;
}

export async function listCustomerCards(
  customerId: string,
  limit: number,
  startingAfter?: string,
): Promise<{ cards: CardSummaryItem[]; hasMore: boolean }> {
  const { Items } = await ddb().send(
    new QueryCommand({
      TableName: vaultTableName(),
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :card)',
      ExpressionAttributeValues: { ':pk': `CUSTOMER#${customerId}`, ':card': 'CARD#' },
      // The start key is rebuilt from the session's customer: a cursor cannot leave its keyspace.
      ...(startingAfter ? { ExclusiveStartKey: customerCardKey(customerId, startingAfter) } : {}),
      // One extra item tells whether there is more (LastEvaluatedKey is also set on an exact fit).
      Limit: limit + 1,
      ConsistentRead: true,
    }),
  );
  const items = Items ?? [];
  return {
    cards: items.slice(0, limit).map((item) => fromItem<CardSummaryItem>(item)),
    hasMore: items.length > limit,
  };
}

/** Records a wrapping key version as in use; first writer wins, later ones are no-ops. */
export async function registerWrapKey(keyId: string, keyVersion: string, clock: Clock): Promise<void> {
  try {
    await ddb().send(
      new PutCommand({
        TableName: vaultTableName(),
        Item: {
          pk: WRAPKEYS_PK,
          sk: `${keyId}#${keyVersion}`,
          type: 'wrapKey',
          keyId,
          keyVersion,
          firstSeenAt: clock.now().toISOString(),
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
  }
}

export async function listWrapKeys(): Promise<Array<{ keyId: string; keyVersion: string }>> {
  const out: Array<{ keyId: string; keyVersion: string }> = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await ddb().send(
      new QueryCommand({
        TableName: vaultTableName(),
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': WRAPKEYS_PK },
        ConsistentRead: true,
        ExclusiveStartKey: startKey,
      }),
    );
    for (const item of page.Items ?? []) {
      if (typeof item.keyId === 'string' && typeof item.keyVersion === 'string') {
        out.push({ keyId: item.keyId, keyVersion: item.keyVersion });
      }
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return out;
}

/** One page of the tokens a key version protects, in one shard. */
export async function wrapListPage(
  keyId: string,
  keyVersion: string,
  shard: number,
  pageSize: number,
  startKey?: Record<string, unknown>,
): Promise<{ tokens: string[]; next: Record<string, unknown> | undefined }> {
  const page = await ddb().send(
    new QueryCommand({
      TableName: vaultTableName(),
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': wrapListPk(keyId, keyVersion, shard) },
      Limit: pageSize,
      ConsistentRead: true,
      ExclusiveStartKey: startKey,
    }),
  );
  return {
    tokens: (page.Items ?? []).flatMap((item) => (typeof item.token === 'string' ? [item.token] : [])),
    next: page.LastEvaluatedKey,
  };
}

/** Drops a list entry whose record is gone or already moved (left by an interrupted run). */
export async function dropWrapMember(keyId: string, keyVersion: string, token: string): Promise<void> {
  try {
    await ddb().send(
      new DeleteCommand({
        TableName: vaultTableName(),
        Key: wrapMemberKey(keyId, keyVersion, token),
        ConditionExpression: 'attribute_exists(pk)',
      }),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
  }
}

/**
 * Moves a record to its re-wrapped data key, and its list entry with it, in one transaction. The
 * condition on the old wrapped key makes a concurrent delete or re-wrap win: this one is cancelled.
 */
export async function applyRewrap(card: CardRecord, next: EnvelopeRecord, at: string): Promise<boolean> {
  const table = vaultTableName();
  try {
    await ddb().send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Update: {
              TableName: table,
              Key: cardKey(card.token),
              UpdateExpression:
                'SET wrappedKey = :wrapped, keyId = :keyId, keyVersion = :keyVersion, updatedAt = :at, version = version + :one',
              ConditionExpression: '#status = :active AND wrappedKey = :oldWrapped AND version = :version',
              ExpressionAttributeNames: { '#status': 'status' },
              ExpressionAttributeValues: {
                ':wrapped': next.wrappedKey,
                ':keyId': next.keyId,
                ':keyVersion': next.keyVersion,
                ':at': at,
                ':one': 1,
                ':active': 'active',
                ':oldWrapped': card.wrappedKey,
                ':version': card.version,
              },
            },
          },
          {
            Delete: {
              TableName: table,
              Key: wrapMemberKey(card.keyId, card.keyVersion, card.token),
              ConditionExpression: 'attribute_exists(pk)',
            },
          },
          {
            Put: {
              TableName: table,
              Item: {
                ...wrapMemberKey(next.keyId, next.keyVersion, card.token),
                type: 'wrapMember',
                token: card.token,
              },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
        ],
      }),
    );
    return true;
  } catch (error) {
    if ((error as { name?: string } | null)?.name === 'TransactionCanceledException') return false;
    throw error;
  }
}
