/**
 * `PUT /v1/me/orders/{id}/card`: the shopper sets the card that pays an order, the way out of
 * arrears. Every installment still to collect moves to the new card; failed ones (a hard decline, or
 * a soft one whose retries were spent) are indexed under today, so the next collection run tries the
 * new card. The order's status follows from the state module (./state.ts): once nothing failed is
 * left out of collection, an order in arrears is `captured` again.
 */
import { type Clock, isoDay } from '../lib/clock.ts';
import { DomainError } from '../lib/errors.ts';
import { Transaction, writeTransaction } from '../lib/transactions.ts';
import type { Commit } from '../lib/use-case.ts';
import type { CardSummary } from '../vault/access.ts';
import { type CustomerPrincipal, requireMyPartition } from './me-orders.ts';
import type { MyOrderResponse } from './me-schema.ts';
import { toMyOrder } from './me-view.ts';
import type { InstallmentRecord, OrderRecord } from './model.ts';
import { committing, concurrentUpdate } from './shared.ts';
import { statusAfter } from './state.ts';
import * as store from './store.ts';

/** A customer's saved card by token (the vault face's `getCard`); not_found for anyone else's. */
export type CardLookup = (customerId: string, token: string) => Promise<CardSummary>;

/** One transaction holds at most 100 items: the order plus this many installments. */
const INSTALLMENTS_PER_TRANSACTION = 98;

/** The installment on the new card: a failed one leaves dunning's end (or its late-fee wait) and is collectable from today. */
function onNewCard(
  installment: InstallmentRecord,
  cardToken: string,
  now: Date,
): { changed: InstallmentRecord; set: Record<string, unknown>; remove: string[] } {
  const at = now.toISOString();
  const bumped = { version: installment.version + 1, updatedAt: at };
  if (installment.status !== 'failed') {
    return { changed: { ...installment, cardToken, ...bumped }, set: { cardToken }, remove: [] };
  }
  const index = store.dueIndex(installment.id, isoDay(now));
  // Indexed for a charge again: no longer parked for its late fee only, nor hard-declined.
  const { hardDecline: _h, lateFeeOn: _l, ...rest } = installment;
  return {
    changed: { ...rest, cardToken, ...index, ...bumped },
    set: { cardToken, ...index },
    remove: ['hardDecline', 'lateFeeOn'],
  };
}

async function cardOf(cards: CardLookup, customerId: string, token: string): Promise<CardSummary> {
  try {
    return await cards(customerId, token);
  } catch (error) {
    if (error instanceof DomainError && error.kind === 'not_found') {
      throw new DomainError('not_found', 'resource_missing', `No such card: ${token}.`, 'cardToken');
    }
    throw error;
  }
}

/**
 * Sets `cardToken` (one of the customer's saved cards) as the card of the customer's order.
 * Refusals: not_found (the order or the card is not the customer's); rejected `order_closed`,
 * `card_declined_hard` (the same card after a hard decline); conflict `payment_in_progress` (a charge
 * is in flight: retry in a few minutes), `concurrent_update`.
 */
export async function changeOrderCard(
  principal: CustomerPrincipal,
  id: string,
  cardToken: string,
  cards: CardLookup,
  commit: Commit<MyOrderResponse>,
  clock: Clock,
): Promise<MyOrderResponse> {
  const partition = await requireMyPartition(principal, id);
  const { order } = partition;
  if (order.status !== 'authorized' && order.status !== 'captured' && order.status !== 'in_arrears') {
    throw new DomainError('rejected', 'order_closed', `The order is ${order.status}; it has nothing to pay.`);
  }
  const card = await cardOf(cards, principal.customerId, cardToken);
  const open = partition.installments.filter((i) => i.status === 'due' || i.status === 'failed');
  if (partition.installments.some((i) => i.status === 'charging')) {
    throw new DomainError(
      'conflict',
      'payment_in_progress',
      'A payment of this order is being processed; retry in a few minutes.',
    );
  }
  if (cardToken === order.cardToken && open.some((i) => i.hardDecline)) {
    throw new DomainError(
      'rejected',
      'card_declined_hard',
      'This card was declined for good (lost, stolen or closed); choose another card.',
      'cardToken',
    );
  }
  const now = clock.now();
  const at = now.toISOString();
  const moved = open.map((installment) => ({ installment, ...onNewCard(installment, cardToken, now) }));
  const installmentsAfter = partition.installments.map(
    (i) => moved.find((m) => m.installment.id === i.id)?.changed ?? i,
  );
  const { cardFingerprint: _old, ...rest } = order;
  const fingerprint = card.fingerprintId ? { cardFingerprint: card.fingerprintId } : {};
  const onCard = { cardToken, ...fingerprint, cardBrand: card.brand, cardLast4: card.last4 };
  const provisional: OrderRecord = { ...rest, ...onCard };
  const status = statusAfter('charge', order, provisional, installmentsAfter, now);
  const after: OrderRecord = { ...provisional, status, version: order.version + 1, updatedAt: at };
  const items = moved.map((m) => store.installmentUpdateItem(m.installment, m.set, at, m.remove));
  // Past one transaction's size, installments move first; the order (and the answer) goes last, so a
  // retry after a lost race finishes the change.
  while (items.length > INSTALLMENTS_PER_TRANSACTION) {
    const chunk = items.splice(0, INSTALLMENTS_PER_TRANSACTION);
    await new Transaction<'installments'>()
      .add('installments', ...chunk)
      .write(writeTransaction, concurrentUpdate);
  }
  // The fingerprint follows the card (a card without one leaves none of the old card's behind).
  const remove = card.fingerprintId ? [] : ['cardFingerprint'];
  return committing(
    commit,
    [...items, store.orderTransitionItem(order, status, onCard, at, undefined, remove)],
    toMyOrder({ ...partition, order: after, installments: installmentsAfter }),
  );
}
