/**
 * An operator's reply is announced to the shopper by email WITHOUT its text (email is not a secure
 * channel): the shopper signs in to read it. Once per message (lib/notify-once.ts).
 */
import { customerContacts } from '../customers/contacts.ts';
import { logger } from '../lib/logger.ts';
import { notifyOnce } from '../lib/notify-once.ts';

export async function noticeReply(
  reply: { customerId: string; conversationId: string; messageId: string },
  now: Date,
): Promise<void> {
  try {
    const contact = await customerContacts.find(reply.customerId);
    if (!contact) return;
    await notifyOnce(
      `support-reply#${reply.messageId}`,
      {
        customerId: reply.customerId,
        channel: 'email',
        to: contact.email,
        subject: 'Tessera support replied to you',
        text:
          `There is a new reply in your support conversation ${reply.conversationId}. ` +
          'For your security we do not send its text by email: sign in to your Tessera account to read it.',
        kind: 'support_notice',
        reference: reply.conversationId,
      },
      now,
    );
  } catch (error) {
    logger.warn('support reply notice not sent', {
      conversationId: reply.conversationId,
      error: String(error),
    });
  }
}
