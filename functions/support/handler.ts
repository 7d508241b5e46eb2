/** The shopper's support routes (session auth): open, post, list, read. */
import { disputeCase } from '../disputes/case.ts';
import { clock } from '../lib/clock.ts';
import { httpHandler } from '../lib/http.ts';
import { answer, created, ok } from '../lib/use-case.ts';
import { orderForCase } from '../orders/collection-face.ts';
import { customerAccess } from '../sessions/access.ts';
import { type CaseOwners, openConversation, postMessage, readConversation } from './conversation.ts';
import { listMyConversations as list } from './lists.ts';
import {
  ConversationIdParams,
  ListConversationsQuery,
  OpenConversationBody,
  PostMessageBody,
} from './schema.ts';

const owners: CaseOwners = {
  order: async (orderId) => (await orderForCase(orderId))?.customerId,
  dispute: disputeCase,
};

export const openMyConversation = httpHandler(
  { auth: customerAccess, body: OpenConversationBody },
  async ({ principal, body, commit }) =>
    answer(commit, created, (port) => openConversation(principal, body, owners, port, clock())),
);

export const postMyMessage = httpHandler(
  { auth: customerAccess, params: ConversationIdParams, body: PostMessageBody },
  async ({ principal, params, body, commit }) =>
    answer(commit, created, async (port) => {
      const author = { kind: 'customer' as const, customerId: principal.customerId };
      return (await postMessage(author, params.id, body.message, port, clock())).conversation;
    }),
);

export const listMyConversations = httpHandler(
  { auth: customerAccess, query: ListConversationsQuery },
  async ({ principal, query }) => ok(await list(principal, query)),
);

export const getMyConversation = httpHandler(
  { auth: customerAccess, params: ConversationIdParams },
  async ({ principal, params }) =>
    ok(await readConversation({ kind: 'customer', customerId: principal.customerId }, params.id)),
);
