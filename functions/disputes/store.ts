/**
 * The disputes' DynamoDB access (single table):
 *   DISPUTE#<dsp> / DISPUTE     the dispute (gsi1: MERCHANT#<mer>#DISPUTES / <dsp>, the merchant's list)
 *   DISPUTE#<dsp> / QUEUE       its place in the operators' queue (gsi1: DISPUTES#<status> / <dsp>)
 *   CARDFLAG#<fp> / DISPUTE#<dsp>   a card flagged by a confirmed fraud, by its fingerprint
 *   CARDFLAG#<fp> / FLAGGED         its standing flag (read by account monitoring at checkout)
 * The dispute of an order is named on the order (`disputeId`), so filing twice finds it.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { ddb, fromItem, tableName } from '../lib/dynamodb.ts';
import { gsi1Page, indexPage, queuePage } from '../lib/list-cursor.ts';
import { GSI2 } from '../lib/tables.ts';
import type { TransactItem } from '../lib/transactions.ts';
import type { DisputeOutcome, DisputeReason, DisputeStatus } from './schema.ts';

export interface DisputeRecord {
  id: string;
  orderId: string;
  merchantId: string;
  customerId: string;
  merchantReference: string;
  reason: DisputeReason;
  status: DisputeStatus;
  amount: number;
  currency: string;
  evidence: Array<{ text: string; submittedAt: string }>;
  resolution?: {
    outcome: DisputeOutcome;
    note: string;
    resolvedAt: string;
    resolvedBy: string;
    pausedDays: number;
    creditedAmount: number;
    /** The part of `creditedAmount` credited to the customer's balance (what the balance had paid). */
    balanceCreditedAmount?: number;
    cancelledAmount: number;
    refundId?: string;
  };
  version: number;
  createdAt: string;
  updatedAt: string;
}

const disputeKey = (id: string) => ({ pk: `DISPUTE#${id}`, sk: 'DISPUTE' });
const queueKey = (id: string) => ({ pk: `DISPUTE#${id}`, sk: 'QUEUE' });
const merchantDisputesPk = (merchantId: string) => `MERCHANT#${merchantId}#DISPUTES`;
const customerDisputesPk = (customerId: string) => `CUSTOMER#${customerId}#DISPUTES`;
const queuePk = (status: DisputeStatus) => `DISPUTES#${status}`;

/** The dispute, new (conditioned on no such dispute) or changed (conditioned on the version read). */
export function putDisputeItem(dispute: DisputeRecord, previousVersion?: number): TransactItem {
  return {
    Put: {
      TableName: tableName(),
      Item: {
        ...disputeKey(dispute.id),
        type: 'dispute',
        ...dispute,
        gsi1pk: merchantDisputesPk(dispute.merchantId),
        gsi1sk: dispute.id,
        gsi2pk: customerDisputesPk(dispute.customerId),
        gsi2sk: dispute.id,
      },
      ...(previousVersion === undefined
        ? { ConditionExpression: 'attribute_not_exists(pk)' }
        : {
            ConditionExpression: '#v = :v',
            ExpressionAttributeNames: { '#v': 'version' },
            ExpressionAttributeValues: { ':v': previousVersion },
          }),
    },
  };
}

/** The dispute's entry in the operators' queue of its status (replaced when the status changes). */
export function queueItem(dispute: Pick<DisputeRecord, 'id' | 'status' | 'orderId'>): TransactItem {
  return {
    Put: {
      TableName: tableName(),
      Item: {
        ...queueKey(dispute.id),
        type: 'disputeQueue',
        disputeId: dispute.id,
        orderId: dispute.orderId,
        gsi1pk: queuePk(dispute.status),
        gsi1sk: dispute.id,
      },
    },
  };
}

/**
 * What a card is flagged by: its keyed fingerprint (the vault's `fingerprintId`, recorded on the
 * order at authorization and on a card change), the same for every token of the card number, so
 * deleting and re-adding the card, or another customer adding it, does not shed the flag. The token
 * only for an order that carries no fingerprint (created before orders recorded it). Account
 * monitoring reads `CARDFLAG#<fingerprint>` at checkout (the card's token when it has no fingerprint).
 */
export const cardFlagKey = (card: { cardToken: string; cardFingerprint?: string }) =>
  card.cardFingerprint ?? card.cardToken;

/** The record of the flag a confirmed fraud puts on the card (see `cardFlagKey`), one per dispute. */
export function cardFlagItem(
  flag: {
    cardToken: string;
    cardFingerprint?: string;
    disputeId: string;
    orderId: string;
    customerId: string;
    merchantId: string;
  },
  at: string,
): TransactItem {
  return {
    Put: {
      TableName: tableName(),
      Item: {
        pk: `CARDFLAG#${cardFlagKey(flag)}`,
        sk: `DISPUTE#${flag.disputeId}`,
        type: 'cardFlag',
        reason: 'dispute_fraud_confirmed',
        severity: 'high',
        ...flag,
        createdAt: at,
      },
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  };
}

/**
 * The card's standing flag, one fixed key per card (`CARDFLAG#<cardFlagKey>` / `FLAGGED`: its
 * fingerprint), which account monitoring reads in its one BatchGetItem at checkout (the
 * `flagged_card` rule). Overwritten by a later dispute on the same card: the latest one is named.
 */
export function cardFlaggedItem(cardKey: string, disputeId: string, at: string): TransactItem {
  return {
    Put: {
      TableName: tableName(),
      Item: {
        pk: `CARDFLAG#${cardKey}`,
        sk: 'FLAGGED',
        type: 'cardFlagged',
        reason: 'dispute_fraud_confirmed',
        disputeId,
        createdAt: at,
      },
    },
  };
}

export async function getDispute(id: string): Promise<DisputeRecord | undefined> {
  const { Item } = await ddb().send(
    new GetCommand({ TableName: tableName(), Key: disputeKey(id), ConsistentRead: true }),
  );
  return Item ? fromItem<DisputeRecord>(Item) : undefined;
}

/** A page of a gsi1 partition of disputes (`sk` names the item kind listed), after `afterId`. */
const after = (sk: 'DISPUTE' | 'QUEUE', afterId?: string) =>
  afterId ? { key: { pk: `DISPUTE#${afterId}`, sk }, sortKey: afterId } : undefined;

/** A merchant's disputes, newest first (always inside the merchant's partition). */
export async function listMerchantDisputes(merchantId: string, limit: number, afterId?: string) {
  const { items, hasMore } = await gsi1Page(merchantDisputesPk(merchantId), limit, after('DISPUTE', afterId));
  return { items: items.map((item) => fromItem<DisputeRecord>(item)), hasMore };
}

/** A shopper's disputes, newest first (always inside the customer's partition of gsi2). */
export async function listCustomerDisputes(customerId: string, limit: number, afterId?: string) {
  const { items, hasMore } = await indexPage(
    GSI2,
    customerDisputesPk(customerId),
    limit,
    after('DISPUTE', afterId),
  );
  return { items: items.map((item) => fromItem<DisputeRecord>(item)), hasMore };
}

/** The operators' queue of disputes in `status`, newest first. */
export function listQueue(status: DisputeStatus, limit: number, afterId?: string) {
  const load = (item: Record<string, unknown>) => getDispute(String(item.disputeId));
  return queuePage(queuePk(status), limit, after('QUEUE', afterId), load, (d) => d.status === status);
}
