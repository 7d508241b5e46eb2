/**
 * The vault's card writes, as items for one transaction each: create (with the dedupe link and the
 * re-wrap list entry), renew the expiry, crypto-shred. Keys: ./store.ts.
 */
import { vaultTableName } from '../lib/dynamodb.ts';
import { type TransactItem, Transaction } from '../lib/transactions.ts';
import {
  type CardRecord,
  type CardSummaryItem,
  cardKey,
  customerCardKey,
  customerFingerprintKey,
  wrapMemberKey,
} from './store.ts';

const ENVELOPE_FIELDS = ['ciphertext', 'iv', 'tag', 'wrappedKey', 'keyId', 'keyVersion'] as const;

function summaryOf(card: CardRecord): CardSummaryItem {
  return {
    token: card.token,
    brand: card.brand,
    last4: card.last4,
    expMonth: card.expMonth,
    expYear: card.expYear,
    createdAt: card.createdAt,
  };
}

/**
 * Everything that creates a card, for one transaction. The dedupe item's condition makes two
 * concurrent saves of one card by one customer produce a single token (the loser is cancelled).
 */
export function createCardItems(card: CardRecord): Transaction<'card' | 'dedupe'> {
  const table = vaultTableName();
  return new Transaction<'card' | 'dedupe'>()
    .add(
      'card',
      {
        Put: {
          TableName: table,
          Item: { ...cardKey(card.token), type: 'card', ...card },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      {
        Put: {
          TableName: table,
          Item: { ...customerCardKey(card.customerId, card.token), type: 'customerCard', ...summaryOf(card) },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
    )
    .add('dedupe', {
      Put: {
        TableName: table,
        Item: {
          ...customerFingerprintKey(card.customerId, card.fingerprintId),
          type: 'customerFingerprint',
          token: card.token,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    })
    .add('card', {
      Put: {
        TableName: table,
        Item: {
          ...wrapMemberKey(card.keyId, card.keyVersion, card.token),
          type: 'wrapMember',
          token: card.token,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    });
}

/** A re-issued card keeps its number and gets a new expiry: update both copies, guarded by version. */
export function updateExpiryItems(
  card: CardRecord,
  expMonth: number,
  expYear: number,
  at: string,
): TransactItem[] {
  const table = vaultTableName();
  return [
    {
      Update: {
        TableName: table,
        Key: cardKey(card.token),
        UpdateExpression: 'SET expMonth = :m, expYear = :y, updatedAt = :at, version = version + :one',
        ConditionExpression: '#status = :active AND version = :version',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':m': expMonth,
          ':y': expYear,
          ':at': at,
          ':one': 1,
          ':active': 'active',
          ':version': card.version,
        },
      },
    },
    {
      Update: {
        TableName: table,
        Key: customerCardKey(card.customerId, card.token),
        UpdateExpression: 'SET expMonth = :m, expYear = :y',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':m': expMonth, ':y': expYear },
      },
    },
  ];
}

/**
 * Crypto-shredding: the ciphertext and the wrapped data key go (without the wrapped key nothing
 * can open the ciphertext, and the ciphertext is gone too), the fingerprint goes, and the token
 * stays as a tombstone so it can never resolve, or be re-issued, again.
 */
export function shredCardItems(card: CardRecord, at: string): TransactItem[] {
  const table = vaultTableName();
  return [
    {
      Update: {
        TableName: table,
        Key: cardKey(card.token),
        UpdateExpression: `SET #status = :deleted, deletedAt = :at, version = version + :one REMOVE ${[
          ...ENVELOPE_FIELDS,
          'fingerprintId',
          'brand',
          'last4',
          'expMonth',
          'expYear',
          'createdAt',
          'updatedAt',
        ].join(', ')}`,
        ConditionExpression: '#status = :active AND customerId = :customer AND version = :version',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':deleted': 'deleted',
          ':active': 'active',
          ':at': at,
          ':one': 1,
          ':customer': card.customerId,
          ':version': card.version,
        },
      },
    },
    {
      Delete: {
        TableName: table,
        Key: customerCardKey(card.customerId, card.token),
        ConditionExpression: 'attribute_exists(pk)',
      },
    },
    {
      // Only if it still points at this token, so a re-saved card's new entry is never removed.
      Delete: {
        TableName: table,
        Key: customerFingerprintKey(card.customerId, card.fingerprintId),
        ConditionExpression: 'attribute_not_exists(pk) OR #token = :token',
        ExpressionAttributeNames: { '#token': 'token' },
        ExpressionAttributeValues: { ':token': card.token },
      },
    },
    {
      Delete: {
        TableName: table,
        Key: wrapMemberKey(card.keyId, card.keyVersion, card.token),
        ConditionExpression: 'attribute_exists(pk)',
      },
    },
  ];
}
