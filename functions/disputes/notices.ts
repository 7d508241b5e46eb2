/**
 * What the shopper is told about their dispute, by email through the outbox (lib/notify-once.ts):
 * once per dispute and step, whatever retries happen. No card number, no token: the order by its
 * reference and id, money formatted.
 */
import { customerContacts } from '../customers/contacts.ts';
import { logger } from '../lib/logger.ts';
import { formatMoney } from '../lib/money.ts';
import { notifyOnce } from '../lib/notify-once.ts';
import type { DisputeRecord } from './store.ts';

async function send(key: string, dispute: DisputeRecord, subject: string, text: string, now: Date) {
  try {
    const contact = await customerContacts.find(dispute.customerId);
    if (!contact) return;
    await notifyOnce(
      key,
      {
        customerId: dispute.customerId,
        channel: 'email',
        to: contact.email,
        subject,
        text,
        kind: 'payment_notice',
        reference: dispute.id,
      },
      now,
    );
  } catch (error) {
    // The dispute stands either way; a notice never undoes it.
    logger.warn('dispute notice not sent', { disputeId: dispute.id, error: String(error) });
  }
}

const orderOf = (d: DisputeRecord) => `order ${d.merchantReference} (${d.orderId})`;
const money = (amount: number, d: DisputeRecord) => formatMoney(amount, d.currency);

export function noticeFiled(dispute: DisputeRecord, now: Date) {
  return send(
    `dispute-filed#${dispute.id}`,
    dispute,
    `We are investigating ${dispute.merchantReference}`,
    `We received your report about ${orderOf(dispute)} (dispute ${dispute.id}). While we investigate, ` +
      'no payment is collected on it and no late fee accrues. If fraud is confirmed you owe nothing and ' +
      'what you paid comes back to your card.',
    now,
  );
}

export function noticeResolved(dispute: DisputeRecord, now: Date) {
  const resolution = dispute.resolution;
  if (!resolution) return Promise.resolve();
  const text =
    resolution.outcome === 'fraud_confirmed'
      ? `We confirmed that ${orderOf(dispute)} was not made by you. You owe nothing on it: ` +
        `${money(resolution.cancelledAmount, dispute)} still to pay is cancelled and ` +
        `${money(resolution.creditedAmount, dispute)} you paid goes back to your card.`
      : `We looked into ${orderOf(dispute)} and could not confirm that it was unauthorized: ${resolution.note} ` +
        `Payments resume, each due date moved ${resolution.pausedDays} days later than before, the time ` +
        'the order was on hold. You can see the new schedule in your account.';
  return send(`dispute-resolved#${dispute.id}`, dispute, `Your dispute ${dispute.id} is resolved`, text, now);
}
