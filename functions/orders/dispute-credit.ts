/**
 * Fraud confirmed: the shopper owes nothing (zero liability; Regulation E, 12 CFR 1005.6 and
 * 1005.11). Every installment still unpaid is cancelled, and everything collected (interest and
 * late fees included) goes back to the card through the refund machinery: a refund record whose
 * card returns are sent by charge id after the commit (./refund.ts `returnToCard`), and retried by
 * collection when the processor refuses one (./refund-retry.ts). What the customer's balance had paid
 * is not refunded here: `toBalance` hands it to the dispute, which credits the balance as the
 * dispute's own outcome (reason `dispute`, docs/adr/0032). The captures are refunded in full, so the
 * order ends `refunded` with nothing outstanding and nothing more to capture.
 */
import type { Clock } from '../lib/clock.ts';
import { DomainError } from '../lib/errors.ts';
import { newId } from '../lib/ids.ts';
import { logger } from '../lib/logger.ts';
import type { TransactItem } from '../lib/transactions.ts';
import type { CardProcessor } from '../payments/processor.ts';
import { releaseOrderItem } from './dispute-hold.ts';
import { orderEventItems } from './events.ts';
import {
  balanceShareOfReturn,
  type InstallmentRecord,
  type OrderPartition,
  type OrderRecord,
  type RefundRecord,
} from './model.ts';
import { MAX_REFUND_TRANSACTION_ITEMS } from './policy.ts';
import { returnToCard } from './refund.ts';
import { canTransition } from './state.ts';
import * as store from './store.ts';
import { orderTotals } from './totals.ts';

const held = (disputeId: string) => ({
  condition: 'disputeId = :dispute AND disputed = :true',
  values: { ':dispute': disputeId, ':true': true },
});

const chargingNow = () =>
  new DomainError(
    'conflict',
    'installment_charging',
    'An installment is being charged; retry once it settles.',
  );

export interface FraudCredit {
  /** The order's writes, for the caller's transaction (with its own dispute records). */
  items: TransactItem[];
  /** What goes back (minor units): everything collected and not yet returned, to the card or to the balance the shopper paid from. */
  returned: number;
  /**
   * The part of `returned` that the customer's balance had paid (minor units, 0 when none): not in
   * `items`; the dispute credits it to the balance as its own outcome (disputes/resolve.ts, ADR 0032).
   */
  toBalance: { customerId: string; currency: OrderRecord['currency']; amount: number };
  /** What the shopper no longer owes (minor units): the cancelled installments. */
  cancelled: number;
  /** The order's card (the one the shopper reported), to flag it: its token and keyed fingerprint. */
  cardToken: string;
  cardFingerprint?: string;
  /** The refund that carries the card returns (undefined when nothing was collected). */
  refundId?: string;
  /**
   * What the merchant was paid for and may have to bear (ADR 0020): the captured amount not refunded
   * before the dispute, and how the order was fulfilled: `digital` with no shipping address; shipped
   * otherwise, protected when every capture recorded carrier tracking (captures ship to the order's
   * address: they carry no address of their own).
   */
  exposure: {
    merchantId: string;
    currency: OrderRecord['currency'];
    amount: number;
    fulfilment:
      | { kind: 'digital' }
      | { kind: 'shipped'; shippedToOrderAddress: boolean; trackingRecorded: boolean };
  };
  /** Sends the card returns; call it once the items are committed. Never throws. */
  afterCommit(processor: () => CardProcessor): Promise<void>;
}

/** The writes of every installment: unpaid ones cancelled, paid ones refunded in full. */
function creditInstallments(partition: OrderPartition, at: string) {
  const items: TransactItem[] = [];
  const lines: RefundRecord['lines'] = [];
  const cardRefunds: RefundRecord['cardRefunds'] = [];
  const after: InstallmentRecord[] = [];
  let balanceReturned = 0;
  for (const installment of partition.installments) {
    const bumped = { version: installment.version + 1, updatedAt: at };
    if (installment.status === 'due' || installment.status === 'failed') {
      const remove = ['duePk', 'dueSk', 'lateFeeOn', 'disputeHeldDay'];
      items.push(store.installmentUpdateItem(installment, { status: 'cancelled' }, at, remove));
      const { duePk: _p, dueSk: _s, lateFeeOn: _l, disputeHeldDay: _h, ...rest } = installment;
      after.push({ ...rest, status: 'cancelled', ...bumped });
      lines.push({
        captureId: installment.captureId,
        installmentId: installment.id,
        reducedBy: installment.amount,
        refundedBy: 0,
      });
      continue;
    }
    const left = installment.status === 'paid' ? installment.amount - installment.refunded : 0;
    if (left <= 0) {
      after.push(installment);
      continue;
    }
    items.push(store.installmentUpdateItem(installment, { refunded: installment.amount }, at));
    after.push({ ...installment, refunded: installment.amount, ...bumped });
    lines.push({
      captureId: installment.captureId,
      installmentId: installment.id,
      reducedBy: 0,
      refundedBy: left,
    });
    // What the balance paid goes back to the balance (docs/adr/0027); the rest to the card.
    const toBalance = balanceShareOfReturn(installment, installment.amount);
    balanceReturned += toBalance;
    if (left - toBalance > 0) {
      cardRefunds.push({
        installmentId: installment.id,
        chargeId: installment.chargeId ?? '',
        amount: left - toBalance,
        status: 'pending',
      });
    }
  }
  return { items, lines, cardRefunds, after, balanceReturned };
}

/** The refund record that carries the credit (undefined when no installment changes). */
function creditRefund(
  order: OrderRecord,
  disputeId: string,
  credit: Pick<ReturnType<typeof creditInstallments>, 'lines' | 'cardRefunds' | 'balanceReturned'>,
  now: Date,
): RefundRecord | undefined {
  if (credit.lines.length === 0) return undefined;
  return {
    id: newId('refund', now),
    orderId: order.id,
    amount: order.capturedAmount - order.refundedAmount,
    currency: order.currency,
    reducedAmount: credit.lines.reduce((sum, line) => sum + line.reducedBy, 0),
    returnedAmount: credit.cardRefunds.reduce((sum, line) => sum + line.amount, credit.balanceReturned),
    lines: credit.lines,
    cardRefunds: credit.cardRefunds,
    ...(credit.balanceReturned > 0 ? { balanceReturnedAmount: credit.balanceReturned } : {}),
    disputeId,
    createdAt: now.toISOString(),
  };
}

/**
 * Plans the credit of the order on hold for `disputeId` (see the module comment). The order write is
 * conditioned on its version and on the dispute, each installment on its version and status.
 * Refusals: conflict `installment_charging` (a charge started before the filing is in flight: retry
 * once it settles); rejected `refund_too_large` (more installments than one transaction holds);
 * not_found when the order is not on hold for this dispute.
 */
export async function creditFraud(orderId: string, disputeId: string, clock: Clock): Promise<FraudCredit> {
  const partition = await store.getOrderPartition(orderId);
  const order = partition?.order;
  if (!partition || !order?.disputed || order.disputeId !== disputeId) {
    throw new DomainError('not_found', 'resource_missing', `No order on hold for ${disputeId}.`);
  }
  if (partition.installments.some((i) => i.status === 'charging')) throw chargingNow();
  const now = clock.now();
  const at = now.toISOString();
  const credit = creditInstallments(partition, at);
  const capturesAfter = partition.captures.map((c) => ({ ...c, refundedAmount: c.amount }));
  const totals = orderTotals(capturesAfter, credit.after);
  const status = canTransition(order.status, 'refunded') ? 'refunded' : order.status;
  const after: OrderRecord = {
    ...order,
    ...totals,
    status,
    authorizationReleased: true,
    version: order.version + 1,
    updatedAt: at,
  };
  const refund = creditRefund(order, disputeId, credit, now);
  const returned = refund?.returnedAmount ?? 0;
  const cancelled = refund?.reducedAmount ?? 0;
  const items: TransactItem[] = [
    status === order.status
      ? releaseOrderItem(order, disputeId, { ...totals, authorizationReleased: true }, at)
      : store.orderTransitionItem(
          order,
          status,
          { ...totals, authorizationReleased: true },
          at,
          held(disputeId),
          ['disputed'],
        ),
    ...credit.items,
    ...partition.captures
      .filter((c) => c.refundedAmount < c.amount)
      .map((c) => store.captureRefundedItem(c, c.amount)),
    ...(refund ? [store.putRefundItem(refund)] : []),
    store.deleteAuthExpiryItem(order.id),
    ...orderEventItems('order.refunded', after, clock),
  ];
  if (items.length > MAX_REFUND_TRANSACTION_ITEMS) {
    throw new DomainError(
      'rejected',
      'refund_too_large',
      'The order has too many installments to credit in one step; refund its captures one by one first.',
    );
  }
  return {
    items,
    returned,
    toBalance: { customerId: order.customerId, currency: order.currency, amount: credit.balanceReturned },
    cancelled,
    cardToken: order.cardToken,
    ...(order.cardFingerprint ? { cardFingerprint: order.cardFingerprint } : {}),
    ...(refund ? { refundId: refund.id } : {}),
    exposure: {
      merchantId: order.merchantId,
      currency: order.currency,
      amount: order.capturedAmount - order.refundedAmount,
      fulfilment: order.shippingAddress
        ? {
            kind: 'shipped',
            shippedToOrderAddress: true,
            trackingRecorded:
              partition.captures.length > 0 &&
              partition.captures.every((c) => (c.shippingInfo ?? []).some((s) => Boolean(s.trackingNumber))),
          }
        : { kind: 'digital' },
    },
    afterCommit: async (processor) => {
      if (!refund) return;
      try {
        await returnToCard(refund, processor(), clock);
      } catch (error) {
        logger.error('dispute credit: card returns incomplete', {
          orderId,
          disputeId,
          error: error as Error,
        });
      }
    },
  };
}
