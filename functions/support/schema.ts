import * as z from 'zod';
import {
  defineSchema,
  freeText,
  IsoDateTime,
  idOf,
  listQuery,
  listResponse,
  maskedText,
} from '../lib/schema.ts';

/**
 * Message text: at most 1,000 characters, so that its UTF-8 form (at most 3 bytes per character,
 * masks included) stays under the 4 KiB a direct KMS `Encrypt` takes. Card numbers and one-time
 * codes typed into it are masked, never refused (functions/lib/secret-text.ts).
 */
export const MAX_MESSAGE_CHARS = 1000;
export const MAX_SUBJECT_CHARS = 200;

const message = () =>
  maskedText(1, MAX_MESSAGE_CHARS).meta({
    description:
      'Up to 1,000 characters. A card number (all but its last 4 digits) or a one-time code (6–8 digits) in it is masked before it is stored or shown.',
  });

export const CONVERSATION_STATUSES = ['open', 'closed'] as const;
export type ConversationStatus = (typeof CONVERSATION_STATUSES)[number];
export const ConversationStatusSchema = /* @__PURE__ */ defineSchema(() =>
  z.enum(CONVERSATION_STATUSES).meta({ id: 'SupportConversationStatus' }),
);
export const MessageAuthorSchema = /* @__PURE__ */ defineSchema(() =>
  z.enum(['customer', 'operator']).meta({ id: 'SupportMessageAuthor' }),
);

export const OpenConversationBody = /* @__PURE__ */ defineSchema(() =>
  z
    .strictObject({
      subject: maskedText(1, MAX_SUBJECT_CHARS).meta({
        description: 'Up to 200 characters; masked like a message.',
      }),
      message: message(),
      orderId: idOf('order')
        .optional()
        .meta({ description: 'One of your orders, if the conversation is about it.' }),
      disputeId: idOf('dispute').optional().meta({
        description:
          "One of your disputes, if the conversation is about it. The conversation is then about the dispute's order: `orderId` may be left out, and if given must be that order.",
      }),
    })
    .meta({ id: 'OpenSupportConversationRequest' }),
);

export const PostMessageBody = /* @__PURE__ */ defineSchema(() =>
  z.strictObject({ message: message() }).meta({ id: 'SupportMessageRequest' }),
);

export const AssignConversationBody = /* @__PURE__ */ defineSchema(() =>
  z
    .strictObject({
      operator: freeText()
        .trim()
        .min(1)
        .max(200)
        .meta({ description: 'Who takes the conversation (a name or an email).' }),
    })
    .meta({ id: 'AssignSupportConversationRequest' }),
);

export const ConversationIdParams = /* @__PURE__ */ defineSchema(() =>
  z.object({ id: idOf('conversation') }),
);

export const ListConversationsQuery = /* @__PURE__ */ defineSchema(() => listQuery());

export const AdminListConversationsQuery = /* @__PURE__ */ defineSchema(() =>
  ListConversationsQuery.extend({ status: ConversationStatusSchema.default('open') }),
);

export const ConversationResponse = /* @__PURE__ */ defineSchema(() =>
  z
    .object({
      id: z.string(),
      object: z.literal('support_conversation'),
      subject: z.string(),
      status: ConversationStatusSchema,
      orderId: z.string().optional(),
      disputeId: z
        .string()
        .optional()
        .meta({ description: 'The dispute the conversation is about, if any.' }),
      assignee: z.string().optional().meta({ description: 'The operator who has it (operators only).' }),
      messageCount: z.int(),
      messages: z
        .array(
          z.object({
            id: z.string(),
            author: MessageAuthorSchema,
            text: z.string(),
            createdAt: IsoDateTime,
          }),
        )
        .optional()
        .meta({ description: 'Oldest first; present on a single conversation, not in lists.' }),
      version: z.int(),
      createdAt: IsoDateTime,
      updatedAt: IsoDateTime,
    })
    .meta({ id: 'SupportConversation' }),
);
export type ConversationResponse = z.infer<typeof ConversationResponse>;

export const ConversationListResponse = /* @__PURE__ */ defineSchema(() =>
  listResponse(ConversationResponse, 'SupportConversationList'),
);
export type ConversationListResponse = z.infer<typeof ConversationListResponse>;
