/**
 * What the shopper is told about their installments, by email through the Notifier port (an outbox
 * locally, `GET /v1/me/outbox`): a reminder before each due date, a receipt after each charge, each
 * failed charge, and the order falling into arrears. Each notice is sent at most once per key
 * (lib/notify-once.ts), so reruns of collection and redelivered messages send nothing twice.
 *
 * The card is named by brand and last 4 digits only (PCI DSS allows no more); no notice ever holds a
 * card number, a token, or anything a card number could be derived from.
 */
import { customerContacts } from '../customers/contacts.ts';
import { logger } from '../lib/logger.ts';
import { formatMoney } from '../lib/money.ts';
import { notifyOnce } from '../lib/notify-once.ts';
import type { InstallmentRecord, OrderPartition, OrderRecord, PaymentResult } from './model.ts';
import * as store from './store.ts';
import { orderTotals } from './totals.ts';

/** Days before a due date the reminder goes out. */
export const REMINDER_DAYS_AHEAD = 3;

const BRAND_NAMES: Readonly<Record<string, string>> = {
  visa: 'Visa',
  mastercard: 'Mastercard',
  amex: 'American Express',
  'american-express': 'American Express',
  discover: 'Discover',
  diners: 'Diners Club',
  'diners-club': 'Diners Club',
  jcb: 'JCB',
  unionpay: 'UnionPay',
};
const cardOf = (order: OrderRecord) =>
  `${BRAND_NAMES[order.cardBrand] ?? order.cardBrand} ending in ${order.cardLast4}`;
const money = (amount: number, order: OrderRecord) => formatMoney(amount, order.currency);
const which = (installment: InstallmentRecord, partition: OrderPartition) => {
  const series = partition.installments.filter((i) => i.captureId === installment.captureId).length;
  return `payment ${installment.seq} of ${series}`;
};
const owed = (partition: OrderPartition) =>
  orderTotals(partition.captures, partition.installments).outstandingAmount;

async function send(
  key: string,
  order: OrderRecord,
  subject: string,
  text: string,
  now: Date,
): Promise<boolean> {
  const contact = await customerContacts.find(order.customerId);
  if (!contact) return false;
  return notifyOnce(
    key,
    {
      customerId: order.customerId,
      channel: 'email',
      to: contact.email,
      subject,
      text,
      kind: 'payment_notice',
      reference: order.id,
    },
    now,
  );
}

/** The reminder of an installment due on `installment.dueDate` (once per installment and due date). */
export function sendReminder(partition: OrderPartition, installment: InstallmentRecord, now: Date) {
  const { order } = partition;
  return send(
    `reminder#${installment.id}#${installment.dueDate}`,
    order,
    `Payment of ${money(installment.amount, order)} due on ${installment.dueDate}`,
    `Your ${which(installment, partition)} of ${money(installment.amount, order)} for order ${order.merchantReference} ` +
      `(${order.id}) is due on ${installment.dueDate}. We will charge your ${cardOf(order)} that day.`,
    now,
  );
}

/**
 * After a charge outcome was recorded and the order settled (read again here): the receipt or the failure notice of that attempt, and the arrears notice when this outcome put the
 * order in arrears (`statusBefore` was not `in_arrears`).
 */
export async function sendChargeNotices(
  orderId: string,
  installmentId: string,
  attempt: number,
  result: PaymentResult,
  statusBefore: OrderRecord['status'],
  now: Date,
): Promise<void> {
  try {
    const after = await store.getOrderPartition(orderId);
    const installment = after?.installments.find((i) => i.id === installmentId);
    if (after && installment) await chargeNotices(after, installment, attempt, result, statusBefore, now);
  } catch (error) {
    // The outcome is recorded; a notice must never undo or fail it.
    logger.warn('charge notices not sent', { orderId, installmentId, error: String(error) });
  }
}

/** How an installment was paid: from the balance, by card, or both (docs/adr/0027). */
function paidWith(installment: InstallmentRecord, order: OrderRecord): string {
  const fromBalance = installment.balancePaid ?? 0;
  const card = `charged ${money(installment.amount - fromBalance, order)} to your ${cardOf(order)}`;
  if (fromBalance === 0) return card;
  const balance = `took ${money(fromBalance, order)} from your Tessera balance`;
  return fromBalance >= installment.amount ? balance : `${balance} and ${card}`;
}

async function chargeNotices(
  after: OrderPartition,
  installment: InstallmentRecord,
  attempt: number,
  result: PaymentResult,
  statusBefore: OrderRecord['status'],
  now: Date,
): Promise<void> {
  const { order } = after;
  const amount = money(installment.amount, order);
  if (result.status === 'succeeded') {
    await send(
      `receipt#${installment.id}#${attempt}`,
      order,
      `Receipt: ${amount} paid`,
      `We ${paidWith(installment, order)} for ${which(installment, after)} of order ` +
        `${order.merchantReference} (${order.id}). Still to pay on this order: ${money(owed(after), order)}.`,
      now,
    );
  } else {
    const next = result.hard
      ? 'We will not charge this card again: please set another card for this order in your account.'
      : installment.duePk
        ? `We will try again on ${installment.duePk.split('#')[1]}.`
        : 'We will not try again automatically: please set another card for this order in your account.';
    await send(
      `failure#${installment.id}#${attempt}`,
      order,
      `Payment of ${amount} failed`,
      `Your ${cardOf(order)} was declined (${result.code}) for ${which(installment, after)} of ${amount} ` +
        `for order ${order.merchantReference} (${order.id}). ${next}`,
      now,
    );
  }
  if (order.status === 'in_arrears' && statusBefore !== 'in_arrears') {
    await send(
      `arrears#${installment.id}#${attempt}`,
      order,
      `Order ${order.merchantReference} is in arrears`,
      `Order ${order.merchantReference} (${order.id}) is in arrears: ${money(owed(after), order)} is still to pay ` +
        `and your ${cardOf(order)} could not be charged. Set another card for this order in your account to ` +
        'bring it up to date; late fees apply to payments left unpaid.',
      now,
    );
  }
}
