/** Conversation lists: the shopper's own, and the operators' queue of one status, newest first. */
import { cursorPage } from '../lib/list-cursor.ts';
import type { ConversationListResponse, ConversationStatus } from './schema.ts';
import { type ConversationRecord, listCustomerConversations, listQueue } from './store.ts';
import { toConversation } from './view.ts';

const LIST = 'support';

async function page(
  owner: string,
  query: { limit: number; startingAfter?: string | undefined },
  read: (limit: number, after?: string) => Promise<{ items: ConversationRecord[]; hasMore: boolean }>,
  operator: boolean,
): Promise<ConversationListResponse> {
  const { items, ...rest } = await cursorPage({ name: LIST, owner, kind: 'conversation' }, query, read);
  return {
    object: 'list',
    data: await Promise.all(items.map((c) => toConversation(c, { operator }))),
    ...rest,
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
