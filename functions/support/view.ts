/** What a conversation looks like to the shopper and to operators (texts unsealed here, never logged). */
import type { ConversationResponse } from './schema.ts';
import { type ConversationRecord, type MessageRecord, unseal } from './store.ts';

export async function toConversation(
  conversation: ConversationRecord,
  options: { messages?: MessageRecord[]; operator?: boolean } = {},
): Promise<ConversationResponse> {
  const messages = options.messages
    ? await Promise.all(
        options.messages.map(async (m) => ({
          id: m.id,
          author: m.author,
          text: await unseal(conversation.id, m.id, m.sealed),
          createdAt: m.createdAt,
        })),
      )
    : undefined;
  return {
    id: conversation.id,
    object: 'support_conversation',
    subject: await unseal(conversation.id, 'subject', conversation.subjectSealed),
    status: conversation.status,
    ...(conversation.orderId ? { orderId: conversation.orderId } : {}),
    ...(conversation.disputeId ? { disputeId: conversation.disputeId } : {}),
    ...(options.operator && conversation.assignee ? { assignee: conversation.assignee } : {}),
    messageCount: conversation.messageCount,
    ...(messages ? { messages } : {}),
    version: conversation.version,
    createdAt: conversation.createdAt,
    updatedAt: conversation.updatedAt,
  };
}
