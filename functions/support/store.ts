/**
 * The support channel's DynamoDB access (single table). Subjects and message texts are stored only
 * sealed under the secrets key (KMS `Encrypt` with an encryption context naming the conversation and
 * the message: a sealed text moved to another record does not open), never in clear text.
 *   SUPPORT#<cnv> / CONV          the conversation (gsi1: CUSTOMER#<cus>#SUPPORT / <cnv>, the shopper's list)
 *   SUPPORT#<cnv> / QUEUE         its place in the operators' queue (gsi1: SUPPORTQ#<status> / <cnv>)
 *   SUPPORT#<cnv> / MSG#<msg>     a message (ULIDs: sort order is time order)
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { config } from '../lib/config.ts';
import { ddb, fromItem, tableName } from '../lib/dynamodb.ts';
import { keyService } from '../lib/key-service.ts';
import { gsi1Page, queuePage } from '../lib/list-cursor.ts';
import { queryAll, type TransactItem } from '../lib/transactions.ts';
import type { ConversationStatus } from './schema.ts';

export interface ConversationRecord {
  id: string;
  customerId: string;
  /** The subject, sealed (base64). */
  subjectSealed: string;
  status: ConversationStatus;
  orderId?: string;
  /** The shopper's dispute the conversation is about (its order is `orderId`). */
  disputeId?: string;
  assignee?: string;
  messageCount: number;
  version: number;
  createdAt: string;
  updatedAt: string;
}

export interface MessageRecord {
  id: string;
  conversationId: string;
  author: 'customer' | 'operator';
  /** The customer id, or the operator's identity. */
  authorId: string;
  /** The text, sealed (base64). */
  sealed: string;
  createdAt: string;
}

const PURPOSE = 'support-message';
const conversationKey = (id: string) => ({ pk: `SUPPORT#${id}`, sk: 'CONV' });
const customerListPk = (customerId: string) => `CUSTOMER#${customerId}#SUPPORT`;
const queuePk = (status: ConversationStatus) => `SUPPORTQ#${status}`;

/** Seals a text (already masked) for record `part` (`subject` or a message id) of a conversation. */
export async function seal(conversationId: string, part: string, text: string): Promise<string> {
  const blob = await keyService().encrypt(config().SECRETS_KEY_ID, Buffer.from(text, 'utf8'), {
    purpose: PURPOSE,
    conversationId,
    part,
  });
  return blob.toString('base64');
}

export async function unseal(conversationId: string, part: string, sealed: string): Promise<string> {
  const plain = await keyService().decrypt(Buffer.from(sealed, 'base64'), {
    purpose: PURPOSE,
    conversationId,
    part,
  });
  return plain.toString('utf8');
}

/** The conversation, new (conditioned on no such one) or changed (conditioned on the version read). */
export function putConversationItem(
  conversation: ConversationRecord,
  previousVersion?: number,
): TransactItem {
  return {
    Put: {
      TableName: tableName(),
      Item: {
        ...conversationKey(conversation.id),
        type: 'supportConversation',
        ...conversation,
        gsi1pk: customerListPk(conversation.customerId),
        gsi1sk: conversation.id,
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

export function queueItem(conversation: Pick<ConversationRecord, 'id' | 'status'>): TransactItem {
  return {
    Put: {
      TableName: tableName(),
      Item: {
        pk: `SUPPORT#${conversation.id}`,
        sk: 'QUEUE',
        type: 'supportQueue',
        conversationId: conversation.id,
        gsi1pk: queuePk(conversation.status),
        gsi1sk: conversation.id,
      },
    },
  };
}

export function putMessageItem(message: MessageRecord): TransactItem {
  return {
    Put: {
      TableName: tableName(),
      Item: {
        pk: `SUPPORT#${message.conversationId}`,
        sk: `MSG#${message.id}`,
        type: 'supportMessage',
        ...message,
      },
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  };
}

export async function getConversation(id: string): Promise<ConversationRecord | undefined> {
  const { Item } = await ddb().send(
    new GetCommand({ TableName: tableName(), Key: conversationKey(id), ConsistentRead: true }),
  );
  return Item ? fromItem<ConversationRecord>(Item) : undefined;
}

/** The conversation's messages, oldest first (one partition). */
export async function getMessages(id: string): Promise<MessageRecord[]> {
  const items = await queryAll({
    TableName: tableName(),
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :msg)',
    ExpressionAttributeValues: { ':pk': `SUPPORT#${id}`, ':msg': 'MSG#' },
    ConsistentRead: true,
  });
  return items.map((item) => fromItem<MessageRecord>(item));
}

const after = (sk: 'CONV' | 'QUEUE', afterId?: string) =>
  afterId ? { key: { pk: `SUPPORT#${afterId}`, sk }, sortKey: afterId } : undefined;

/** The shopper's conversations, newest first (inside the shopper's own partition). */
export async function listCustomerConversations(customerId: string, limit: number, afterId?: string) {
  const { items, hasMore } = await gsi1Page(customerListPk(customerId), limit, after('CONV', afterId));
  return { items: items.map((item) => fromItem<ConversationRecord>(item)), hasMore };
}

/** The operators' queue of one status, newest first. */
export function listQueue(status: ConversationStatus, limit: number, afterId?: string) {
  const load = (item: Record<string, unknown>) => getConversation(String(item.conversationId));
  return queuePage(queuePk(status), limit, after('QUEUE', afterId), load, (c) => c.status === status);
}
