/** Operators' support routes: the queue, a conversation, assign, reply (the shopper is emailed without the text), close. */
import { clock } from '../lib/clock.ts';
import { httpHandler, operatorAccess } from '../lib/http.ts';
import { answer, created, ok } from '../lib/use-case.ts';
import { handleConversation, postMessage, readConversation } from './conversation.ts';
import { listConversationQueue } from './lists.ts';
import { noticeReply } from './notices.ts';
import {
  AdminListConversationsQuery,
  AssignConversationBody,
  ConversationIdParams,
  PostMessageBody,
} from './schema.ts';

export const adminListConversations = httpHandler(
  { auth: operatorAccess, query: AdminListConversationsQuery },
  async ({ query }) => ok(await listConversationQueue(query)),
);

export const adminGetConversation = httpHandler(
  { auth: operatorAccess, params: ConversationIdParams },
  async ({ principal, params }) => ok(await readConversation({ kind: 'operator', ...principal }, params.id)),
);

export const adminReply = httpHandler(
  { auth: operatorAccess, params: ConversationIdParams, body: PostMessageBody },
  async ({ principal, params, body, commit }) =>
    answer(commit, created, async (port) => {
      const posted = await postMessage(
        { kind: 'operator', ...principal },
        params.id,
        body.message,
        port,
        clock(),
      );
      const reply = {
        customerId: posted.customerId,
        conversationId: params.id,
        messageId: posted.message.id,
      };
      await noticeReply(reply, clock().now());
      return posted.conversation;
    }),
);

export const adminAssignConversation = httpHandler(
  { auth: operatorAccess, params: ConversationIdParams, body: AssignConversationBody },
  async ({ principal, params, body, commit }) =>
    answer(commit, ok, (port) =>
      handleConversation(principal, params.id, { assign: body.operator }, port, clock()),
    ),
);

export const adminCloseConversation = httpHandler(
  { auth: operatorAccess, params: ConversationIdParams },
  async ({ principal, params, commit }) =>
    answer(commit, ok, (port) => handleConversation(principal, params.id, { close: true }, port, clock())),
);
