/** Conversation lists: the shopper's own, and the operators' queue of one status, newest first. */
import { decodeListCursor, encodeListCursor } from '../lib/list-cursor.ts';
import type { ConversationListResponse, ConversationStatus } from './schema.ts';
import { type ConversationRecord, listCustomerConversations, listQueue } from './store.ts';
import { toConversation } from './view.ts';

const LIST = 'support';

async function page(
  owner: string,
  query: { limit: number; startingAfter?: string | undefined },
  read: (limit: number, after?: string) => Promise<{ conversations: ConversationRecord[]; hasMore: boolean }>,
  operator: boolean,
): Promise<ConversationListResponse> {
  const after = query.startingAfter
    ? await decodeListCursor(LIST, owner, query.startingAfter, 'conversation')
    : undefined;
  const { conversations, hasMore } = await read(query.limit, after);
  const last = conversations[conversations.length - 1];
  return {
    object: 'list',
    data: await Promise.all(conversations.map((c) => toConversation(c, { operator }))),
    hasMore,
    ...(hasMore && last ? { nextCursor: await encodeListCursor(LIST, owner, last.id) } : {}),
  };
}

/** `GET /v1/me/support/conversations` (cursors bound to the shopper: 400 `invalid_cursor` otherwise). */
export function listMyConversations(
  principal: { customerId: string },
  query: { limit: number; startingAfter?: string | undefined },
): Promise<ConversationListResponse> {
  return page(
    principal.customerId,
    query,
    (limit, after) => listCustomerConversations(principal.customerId, limit, after),
    false,
  );
}

/** `GET /v1/admin/support/conversations?status=`. */
export function listConversationQueue(query: {
  status: ConversationStatus;
  limit: number;
  startingAfter?: string | undefined;
}): Promise<ConversationListResponse> {
  return page(
    `operator#${query.status}`,
    query,
    (limit, after) => listQueue(query.status, limit, after),
    true,
  );
}
