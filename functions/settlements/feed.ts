/**
 * The ledger's feed: the order events that the orders capability writes in the SAME transaction as
 * each capture and refund (functions/orders/events.ts, through the webhooks outbox) are read back from
 * the table's change stream, and each `order.captured` / `order.refunded` becomes one ledger entry,
 * keyed by its capture or refund id (./ledger.ts: exactly once, however often the stream delivers).
 * Orders never import settlements. Nothing else moves the merchant's balance: installment events
 * (paid, failed, late fees) are Tessera's collection from the shopper and never change what the
 * merchant is owed (ARCHITECTURE.md, Merchant money).
 */
import * as z from 'zod';
import type { Clock } from '../lib/clock.ts';
import { CurrencyCodeSchema } from '../lib/money.ts';
import { type EntryInput, recordEntry } from './ledger.ts';
import type { LedgerEntry } from './store.ts';
import { captureFee, refundedFee, termsFor } from './terms.ts';

/** The part of a money movement the order events carry (`data.capture` / `data.refund`). */
const Movement = z.object({
  id: z.string().min(1),
  amount: z.number().int().positive(),
  currency: CurrencyCodeSchema,
  createdAt: z.string(),
});

/** The published event (its `payload`), as far as the ledger reads it. */
const OrderMoneyEvent = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('order.captured'),
    objectId: z.string(),
    data: z.object({ capture: Movement }),
  }),
  z.object({
    type: z.literal('order.refunded'),
    objectId: z.string(),
    // Absent on a dispute's credit to the shopper (orders/dispute-credit.ts): no merchant refund.
    data: z.object({ refund: Movement.optional() }),
  }),
]);

export const LEDGER_EVENT_TYPES = ['order.captured', 'order.refunded'] as const;

/** The webhook event item as the stream shows it: its merchant and the payload as sent. */
export interface EventImage {
  type?: string;
  merchantId?: string;
  eventType?: string;
  payload?: string;
}

/** The ledger entry an event stands for, or undefined when it moves no merchant money. */
export function entryFromEvent(image: EventImage): EntryInput | undefined {
  if (image.type !== 'webhookEvent' || !image.merchantId || !image.payload) return undefined;
  if (!(LEDGER_EVENT_TYPES as readonly string[]).includes(image.eventType ?? '')) return undefined;
  const event = OrderMoneyEvent.parse(JSON.parse(image.payload));
  const terms = termsFor(image.merchantId);
  if (event.type === 'order.captured') {
    const { id, amount, currency, createdAt } = event.data.capture;
    const fee = captureFee(terms, amount, currency);
    return {
      id,
      kind: 'capture',
      merchantId: image.merchantId,
      currency,
      orderId: event.objectId,
      captureId: id,
      gross: amount,
      fee,
      net: amount - fee,
      occurredAt: createdAt,
    };
  }
  // A fraud-confirmed dispute's credit is Tessera's loss, not a refund by the merchant (ADR 0020):
  // it moves nothing in the merchant ledger (the liability rule, liability.ts, books any charge).
  if (!event.data.refund) return undefined;
  const { id, amount, currency, createdAt } = event.data.refund;
  const returned = refundedFee(terms, amount);
  return {
    id,
    kind: 'refund',
    merchantId: image.merchantId,
    currency,
    orderId: event.objectId,
    refundId: id,
    gross: -amount,
    fee: -returned,
    net: -(amount - returned),
    occurredAt: createdAt,
  };
}

/** Enters the event's money movement, if it has one; `duplicate` when it was entered before. */
export async function recordFromEvent(
  image: EventImage,
  clock: Clock,
): Promise<LedgerEntry | 'duplicate' | 'ignored'> {
  const input = entryFromEvent(image);
  return input ? recordEntry(input, clock) : 'ignored';
}
