import { createHash } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { PlanId } from '../installments/terms.ts';
import type { AgreementTerms } from '../lib/agreement-terms.ts';
import { ddb, fromItem, tableName } from '../lib/dynamodb.ts';
import type { CurrencyCode } from '../lib/money.ts';
import type { OrderData } from '../lib/order-lines.ts';
import type { TransactItem } from '../lib/transactions.ts';
import type { CarriedDecision } from '../monitoring/risk.ts';

/**
 * Keys (single table):
 *   CHECKOUT#<cs> / CHECKOUT        a merchant's checkout session: amount, plans, status, expiry
 *   AUTHZ#<sha256(token)> / AUTHZ   a shopper's approval, redeemable once by the session's merchant
 *
 * Authorization tokens and client tokens are secrets: only their SHA-256 is stored (and a session's
 * `approvalNonce`, from which only a holder of the session-signing secret derives the token), so a
 * read of the table yields nothing that can be redeemed. Both items expire by TTL after they are useless.
 */
export interface CheckoutSessionRecord extends OrderData {
  id: string;
  merchantId: string;
  livemode: boolean;
  amount: number;
  currency: CurrencyCode;
  merchantReference: string;
  plans: PlanId[];
  clientTokenHash: string;
  status: 'open' | 'completed';
  /** The one shopper who approved the session (issue 9: a second shopper cannot approve it). */
  approvedBy?: string;
  approvedAt?: string;
  /** The random input of the latest approval's token (hosted checkout: see approval-token.ts). */
  approvalNonce?: string;
  orderId?: string;
  /** The merchant's return URLs for the hosted page (only these are ever redirected to). */
  successUrl?: string;
  cancelUrl?: string;
  /** The recurring agreement the merchant asks the shopper for (functions/agreements). */
  agreement?: AgreementTerms;
  /** The agreement (its customer token) once a shopper approved it, and who did. */
  agreementId?: string;
  agreementBy?: string;
  expiresAt: string;
  expiresAtMs: number;
  createdAt: string;
  updatedAt: string;
  version: number;
  ttl: number;
}

/** What the shopper approved: the order a merchant may create from it. */
export interface ApprovalTerms {
  merchantId: string;
  /** The session's order data (lines, shipping, tax, addresses), handed to the order. */
  orderData?: OrderData;
  livemode: boolean;
  checkoutSessionId: string;
  merchantReference: string;
  customerId: string;
  plan: PlanId;
  termMonths?: number;
  aprBps?: number;
  amount: number;
  currency: CurrencyCode;
  cardToken: string;
  /** The card's keyed fingerprint (vault `fingerprintId`), to flag the card number on a confirmed fraud. */
  cardFingerprint?: string;
  cardBrand: string;
  cardLast4: string;
  /** Account monitoring's decision at this authorization (monitoring/risk.ts). */
  riskDecision?: { id: string; decision: 'approve' | 'review'; score: number };
}

export interface AuthorizationRecord extends ApprovalTerms {
  tokenHash: string;
  status: 'unused' | 'used';
  orderId?: string;
  expiresAt: string;
  expiresAtMs: number;
  createdAt: string;
  ttl: number;
}

export const sessionKey = (id: string) => ({ pk: `CHECKOUT#${id}`, sk: 'CHECKOUT' });
export const authorizationKey = (tokenHash: string) => ({ pk: `AUTHZ#${tokenHash}`, sk: 'AUTHZ' });

export const sha256 = (secret: string) => createHash('sha256').update(secret, 'utf8').digest('hex');

export function putSessionItem(session: CheckoutSessionRecord): TransactItem {
  return {
    Put: {
      TableName: tableName(),
      Item: { ...sessionKey(session.id), type: 'checkoutSession', ...session },
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  };
}

export async function getSession(id: string): Promise<CheckoutSessionRecord | undefined> {
  const { Item } = await ddb().send(
    new GetCommand({ TableName: tableName(), Key: sessionKey(id), ConsistentRead: true }),
  );
  return Item ? fromItem<CheckoutSessionRecord>(Item) : undefined;
}

/**
 * Approves the session for `customerId`: it must still be open and unexpired, and not approved by
 * another shopper, when the approval is written. The same shopper may approve again (one order per
 * session still holds: see `completeSessionItem`).
 */
export function approveSessionItem(
  id: string,
  customerId: string,
  nowMs: number,
  at: string,
  approvalNonce: string,
): TransactItem {
  return {
    Update: {
      TableName: tableName(),
      Key: sessionKey(id),
      UpdateExpression:
        'SET approvedBy = :customer, approvedAt = if_not_exists(approvedAt, :at), approvalNonce = :nonce, updatedAt = :at ADD version :one',
      ConditionExpression:
        '#status = :open AND expiresAtMs > :now AND (attribute_not_exists(approvedBy) OR approvedBy = :customer)',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':open': 'open',
        ':now': nowMs,
        ':customer': customerId,
        ':at': at,
        ':nonce': approvalNonce,
        ':one': 1,
      },
    },
  };
}

/**
 * Completes the session when an order is created from one of its approvals: a session yields at
 * most one order, whatever number of approvals it collected. Conditioned on the state (`open`)
 * rather than a read version, so order creation needs no read of the session.
 */
export function completeSessionItem(id: string, orderId: string, at: string): TransactItem {
  return {
    Update: {
      TableName: tableName(),
      Key: sessionKey(id),
      UpdateExpression: 'SET #status = :completed, orderId = :order, updatedAt = :at ADD version :one',
      ConditionExpression: '#status = :open',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':completed': 'completed',
        ':open': 'open',
        ':order': orderId,
        ':at': at,
        ':one': 1,
      },
    },
  };
}

export function putAuthorizationItem(record: AuthorizationRecord): TransactItem {
  return {
    Put: {
      TableName: tableName(),
      Item: { ...authorizationKey(record.tokenHash), type: 'checkoutAuthorization', ...record },
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  };
}

/**
 * Account monitoring's decision riding on the approval item, for its stream consumer only: never
 * part of the record read back. Typed by the face, so a rename there fails the build here.
 */
const CARRIED: Array<keyof CarriedDecision> = ['riskStaged'];

export async function getAuthorization(tokenHash: string): Promise<AuthorizationRecord | undefined> {
  const { Item } = await ddb().send(
    new GetCommand({ TableName: tableName(), Key: authorizationKey(tokenHash), ConsistentRead: true }),
  );
  return Item ? fromItem<AuthorizationRecord>(Item, { drop: CARRIED }) : undefined;
}

/** Single use, enforced by DynamoDB: unused, unexpired and this merchant's, at the moment of writing. */
export function consumeAuthorizationItem(
  tokenHash: string,
  merchantId: string,
  orderId: string,
  nowMs: number,
  at: string,
): TransactItem {
  return {
    Update: {
      TableName: tableName(),
      Key: authorizationKey(tokenHash),
      UpdateExpression: 'SET #status = :used, orderId = :order, usedAt = :at',
      ConditionExpression: '#status = :unused AND expiresAtMs > :now AND merchantId = :merchant',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':used': 'used',
        ':unused': 'unused',
        ':order': orderId,
        ':at': at,
        ':now': nowMs,
        ':merchant': merchantId,
      },
    },
  };
}

/**
 * Records the shopper's approval of the session's agreement, in the agreements capability's
 * transaction: the session asks for one, is unexpired, has none approved yet, and was approved (if
 * at all) by this same shopper.
 */
export function approveAgreementItem(
  id: string,
  customerId: string,
  agreementId: string,
  nowMs: number,
  at: string,
): TransactItem {
  return {
    Update: {
      TableName: tableName(),
      Key: sessionKey(id),
      UpdateExpression:
        'SET agreementId = :agreement, agreementBy = :customer, updatedAt = :at ADD version :one',
      ConditionExpression:
        'attribute_exists(agreement) AND attribute_not_exists(agreementId) AND expiresAtMs > :now AND ' +
        '(attribute_not_exists(approvedBy) OR approvedBy = :customer)',
      ExpressionAttributeValues: {
        ':agreement': agreementId,
        ':customer': customerId,
        ':now': nowMs,
        ':at': at,
        ':one': 1,
      },
    },
  };
}
