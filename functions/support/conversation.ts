/**
 * The secure support channel: a signed-in shopper and Tessera's operators exchange messages in a
 * conversation, optionally about one of the shopper's orders or disputes. Texts arrive masked (card numbers and
 * one-time codes: `maskedText()` at the edge, functions/lib/secret-text.ts) and are stored only
 * sealed under the secrets key (./store.ts). Every change is one transaction with its audit event;
 * audit and logs name ids and lengths, never text.
 */
import { auditItem } from '../lib/audit.ts';
import type { Clock } from '../lib/clock.ts';
import { DomainError } from '../lib/errors.ts';
import { newId } from '../lib/ids.ts';
import { isCancellation, type TransactItem } from '../lib/transactions.ts';
import type { Commit } from '../lib/use-case.ts';
import type { ConversationResponse } from './schema.ts';
import {
  type ConversationRecord,
  getConversation,
  getMessages,
  type MessageRecord,
  putConversationItem,
  putMessageItem,
  queueItem,
  seal,
} from './store.ts';
import { toConversation } from './view.ts';

export type Author = { kind: 'customer'; customerId: string } | { kind: 'operator'; operatorArn: string };

const actorOf = (author: Author) => (author.kind === 'customer' ? author.customerId : author.operatorArn);

const noSuch = (id: string) =>
  new DomainError('not_found', 'resource_missing', `No such conversation: ${id}.`, 'id');

/** The conversation, if `author` may see it: its shopper, or any operator. */
export async function requireConversation(author: Author, id: string): Promise<ConversationRecord> {
  const conversation = await getConversation(id);
  if (!conversation || (author.kind === 'customer' && conversation.customerId !== author.customerId)) {
    throw noSuch(id);
  }
  return conversation;
}

/** The conversation with its messages, as `author` sees it. */
export async function readConversation(author: Author, id: string): Promise<ConversationResponse> {
  const conversation = await requireConversation(author, id);
  return toConversation(conversation, {
    messages: await getMessages(id),
    operator: author.kind === 'operator',
  });
}

/** A sealed message of `author`, and its put. */
async function newMessage(conversationId: string, author: Author, text: string, now: Date) {
  const id = newId('message', now);
  const record: MessageRecord = {
    id,
    conversationId,
    author: author.kind,
    authorId: actorOf(author),
    sealed: await seal(conversationId, id, text),
    createdAt: now.toISOString(),
  };
  return record;
}

/** Commits a conversation change; a lost condition is 409 `concurrent_update` (retry). */
async function committing<T>(commit: Commit<T>, items: TransactItem[], outcome: T): Promise<T> {
  try {
    await commit(items, outcome);
  } catch (error) {
    if (!isCancellation(error)) throw error;
    throw new DomainError('conflict', 'concurrent_update', 'The conversation changed meanwhile; retry.');
  }
  return outcome;
}

/** Whose order, and whose dispute (and about which order), a conversation may be about. */
export interface CaseOwners {
  order(orderId: string): Promise<string | undefined>;
  dispute(disputeId: string): Promise<{ customerId: string; orderId: string } | undefined>;
}

/**
 * The order and dispute a new conversation is about, each checked to be the shopper's own (another
 * customer's is answered as missing: 404 `resource_missing`). A dispute brings its order; an
 * `orderId` given beside it must be that order (400 `parameter_invalid`).
 */
async function caseOf(
  customerId: string,
  body: { orderId?: string | undefined; disputeId?: string | undefined },
  owners: CaseOwners,
): Promise<Pick<ConversationRecord, 'orderId' | 'disputeId'>> {
  if (body.disputeId) {
    const dispute = await owners.dispute(body.disputeId);
    if (dispute?.customerId !== customerId) {
      throw new DomainError(
        'not_found',
        'resource_missing',
        `No such dispute: ${body.disputeId}.`,
        'disputeId',
      );
    }
    if (body.orderId && body.orderId !== dispute.orderId) {
      throw new DomainError(
        'invalid',
        'parameter_invalid',
        "orderId is not the order of this dispute; leave it out to use the dispute's order.",
        'orderId',
      );
    }
    return { orderId: dispute.orderId, disputeId: body.disputeId };
  }
  if (body.orderId && (await owners.order(body.orderId)) !== customerId) {
    throw new DomainError('not_found', 'resource_missing', `No such order: ${body.orderId}.`, 'orderId');
  }
  return body.orderId ? { orderId: body.orderId } : {};
}

/**
 * Opens a conversation with its first message, optionally about one of the shopper's orders or
 * disputes (`owners` tells whose they are: the orders and disputes faces). Refusals: see `caseOf`.
 */
export async function openConversation(
  principal: { customerId: string },
  body: { subject: string; message: string; orderId?: string | undefined; disputeId?: string | undefined },
  owners: CaseOwners,
  commit: Commit<ConversationResponse>,
  clock: Clock,
): Promise<ConversationResponse> {
  const about = await caseOf(principal.customerId, body, owners);
  const now = clock.now();
  const at = now.toISOString();
  const id = newId('conversation', now);
  const author: Author = { kind: 'customer', customerId: principal.customerId };
  const message = await newMessage(id, author, body.message, now);
  const conversation: ConversationRecord = {
    id,
    customerId: principal.customerId,
    subjectSealed: await seal(id, 'subject', body.subject),
    status: 'open',
    ...about,
    messageCount: 1,
    version: 1,
    createdAt: at,
    updatedAt: at,
  };
  const items = [
    putConversationItem(conversation),
    queueItem(conversation),
    putMessageItem(message),
    auditItem({ action: 'support.conversation_opened', subject: id, actor: principal.customerId }, clock),
  ];
  return committing(commit, items, await toConversation(conversation, { messages: [message] }));
}

/**
 * Adds a message of `author` (the conversation's shopper, or an operator) to an open conversation.
 * Refusals: not_found; rejected `conversation_closed`; conflict `concurrent_update`.
 */
export async function postMessage(
  author: Author,
  id: string,
  text: string,
  commit: Commit<ConversationResponse>,
  clock: Clock,
): Promise<{ conversation: ConversationResponse; message: MessageRecord; customerId: string }> {
  const conversation = await requireConversation(author, id);
  if (conversation.status !== 'open') {
    throw new DomainError('rejected', 'conversation_closed', 'The conversation is closed; open a new one.');
  }
  const now = clock.now();
  const message = await newMessage(id, author, text, now);
  const after: ConversationRecord = {
    ...conversation,
    messageCount: conversation.messageCount + 1,
    version: conversation.version + 1,
    updatedAt: message.createdAt,
  };
  const items = [
    putConversationItem(after, conversation.version),
    putMessageItem(message),
    auditItem(
      {
        action: 'support.message_posted',
        subject: id,
        actor: actorOf(author),
        metadata: { messageId: message.id },
      },
      clock,
    ),
  ];
  const messages = await getMessages(id);
  const view = await toConversation(after, {
    messages: [...messages, message],
    operator: author.kind === 'operator',
  });
  await committing(commit, items, view);
  return { conversation: view, message, customerId: conversation.customerId };
}

/**
 * An operator's change of the conversation's handling: `assign` (to `operator`) or `close`.
 * Closing a closed conversation answers it unchanged. Refusals: not_found; conflict `concurrent_update`.
 */
export async function handleConversation(
  operator: { operatorArn: string },
  id: string,
  change: { assign: string } | { close: true },
  commit: Commit<ConversationResponse>,
  clock: Clock,
): Promise<ConversationResponse> {
  const author: Author = { kind: 'operator', operatorArn: operator.operatorArn };
  const conversation = await requireConversation(author, id);
  if ('close' in change && conversation.status === 'closed') return readConversation(author, id);
  const at = clock.now().toISOString();
  const after: ConversationRecord = {
    ...conversation,
    ...('assign' in change ? { assignee: change.assign } : { status: 'closed' as const }),
    version: conversation.version + 1,
    updatedAt: at,
  };
  const action = 'assign' in change ? 'support.conversation_assigned' : 'support.conversation_closed';
  const items = [
    putConversationItem(after, conversation.version),
    ...('close' in change ? [queueItem(after)] : []),
    auditItem({ action, subject: id, actor: operator.operatorArn }, clock),
  ];
  return committing(
    commit,
    items,
    await toConversation(after, { messages: await getMessages(id), operator: true }),
  );
}
