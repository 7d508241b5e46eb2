/**
 * Identity verification storage (main table):
 *   `IDV#<id> / IDV`                 one verification (gsi1 `IDV_REVIEW` while it is in_review);
 *   `CUSTOMER#<id> / IDENTITY`       the customer's current identity status (the gate reads this);
 *   `IDCALLBACK#<eventId> / EVENT`   a provider callback event already applied (single use, TTL).
 * No document number is stored: only its keyed hash (HMAC) and last 4.
 */
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ddb, fromItem, tableName } from '../lib/dynamodb.ts';
import { GSI1 } from '../lib/tables.ts';
import type { TransactItem } from '../lib/transactions.ts';
import { CALLBACK_EVENT_TTL_MS, type DocumentType, type IdentityStatus } from './policy.ts';

export interface VerificationRecord {
  id: string;
  customerId: string;
  status: Exclude<IdentityStatus, 'unverified' | 'expired'>;
  documentType: DocumentType;
  country: string;
  /** HMAC-SHA-256 of the document (lib/derived-keys identifierHash): finds reuse, cannot be reversed. */
  documentHash: string;
  documentLast4: string;
  provider: string;
  providerRef?: string;
  reasons: string[];
  createdAt: string;
  decidedAt?: string;
  /** `provider:<name>` or the operator's ARN. */
  decidedBy?: string;
  expiresAt?: string;
  version: number;
}

export interface IdentityHead {
  customerId: string;
  verificationId: string;
  status: VerificationRecord['status'];
  verifiedAt?: string;
  expiresAt?: string;
  version: number;
}

const verificationKey = (id: string) => ({ pk: `IDV#${id}`, sk: 'IDV' });
const headKey = (customerId: string) => ({ pk: `CUSTOMER#${customerId}`, sk: 'IDENTITY' });
const REVIEW_PK = 'IDV_REVIEW';

export async function getVerification(id: string): Promise<VerificationRecord | undefined> {
  const { Item } = await ddb().send(
    new GetCommand({ TableName: tableName(), Key: verificationKey(id), ConsistentRead: true }),
  );
  return Item ? fromItem<VerificationRecord>(Item, { drop: ['type'] }) : undefined;
}

export async function getHead(customerId: string): Promise<IdentityHead | undefined> {
  const { Item } = await ddb().send(
    new GetCommand({ TableName: tableName(), Key: headKey(customerId), ConsistentRead: true }),
  );
  return Item ? fromItem<IdentityHead>(Item, { drop: ['type'] }) : undefined;
}

/** A new verification, `pending`. */
export function putVerificationItem(record: VerificationRecord): TransactItem {
  return {
    Put: {
      TableName: tableName(),
      Item: { ...verificationKey(record.id), type: 'identityVerification', ...record },
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  };
}

/**
 * The customer's head now points at `head`; conditioned on the version read (`expected`, or no head
 * at all), so two concurrent starts or decisions cannot both win.
 */
export function putHeadItem(head: IdentityHead, expected: number | undefined): TransactItem {
  return {
    Put: {
      TableName: tableName(),
      Item: { ...headKey(head.customerId), type: 'identityHead', ...head },
      ConditionExpression: expected === undefined ? 'attribute_not_exists(pk)' : 'version = :v',
      ...(expected === undefined ? {} : { ExpressionAttributeValues: { ':v': expected } }),
    },
  };
}

/** The verification decided: conditioned on its status and version; into or out of the review queue. */
export function decideVerificationItem(record: VerificationRecord, next: VerificationRecord): TransactItem {
  const review =
    next.status === 'in_review' ? { gsi1pk: REVIEW_PK, gsi1sk: `${next.createdAt}#${next.id}` } : {};
  return {
    Put: {
      TableName: tableName(),
      Item: { ...verificationKey(next.id), type: 'identityVerification', ...next, ...review },
      ConditionExpression: '#status = :status AND version = :v',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':status': record.status, ':v': record.version },
    },
  };
}

/** Marks a provider callback event applied; fails when the same event id came before (a replay). */
export function callbackEventItem(eventId: string, now: Date): TransactItem {
  return {
    Put: {
      TableName: tableName(),
      Item: {
        pk: `IDCALLBACK#${eventId}`,
        sk: 'EVENT',
        type: 'identityCallbackEvent',
        receivedAt: now.toISOString(),
        ttl: Math.ceil((now.getTime() + CALLBACK_EVENT_TTL_MS) / 1000),
      },
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  };
}

/** Verifications waiting for an operator, oldest first (at most `limit`). */
export async function listInReview(limit: number): Promise<VerificationRecord[]> {
  const { Items } = await ddb().send(
    new QueryCommand({
      TableName: tableName(),
      IndexName: GSI1,
      KeyConditionExpression: 'gsi1pk = :pk',
      ExpressionAttributeValues: { ':pk': REVIEW_PK },
      Limit: limit,
    }),
  );
  return (Items ?? []).map((item) => fromItem<VerificationRecord>(item, { drop: ['type'] }));
}
