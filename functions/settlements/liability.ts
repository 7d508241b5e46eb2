/**
 * The settlements capability's face, for the disputes work: who bears a fraud-confirmed dispute, and
 * the ledger entry that charges it to the merchant when the merchant is liable.
 *
 * THE RULE (docs/adr/0020-merchant-ledger.md): Tessera approved the shopper and carries the fraud
 * risk, like Klarna's seller protection: a confirmed unauthorized transaction is Tessera's loss, NOT
 * the merchant's, whenever the merchant fulfilled as the order said:
 *   - digital goods (nothing shipped): never the merchant's;
 *   - shipped goods: the merchant is protected when it shipped to the order's shipping address AND
 *     recorded carrier tracking on the capture. Shipping elsewhere, or no tracking, makes the
 *     merchant liable for the disputed amount (the fee is not returned).
 * The shopper owes nothing either way (zero liability); only who funds the loss changes.
 */
import { type Clock, clock as defaultClock } from '../lib/clock.ts';
import type { CurrencyCode } from '../lib/money.ts';
import { recordEntry } from './ledger.ts';
import type { LedgerEntry } from './store.ts';

export type Fulfilment =
  | { kind: 'digital' }
  | { kind: 'shipped'; shippedToOrderAddress: boolean; trackingRecorded: boolean };

export interface FraudDisputeOutcome {
  disputeId: string;
  orderId: string;
  merchantId: string;
  currency: CurrencyCode;
  /** The disputed amount in minor units: what was captured and not refunded on the disputed order. */
  amount: number;
  fulfilment: Fulfilment;
  /** When fraud was confirmed (ISO 8601). */
  confirmedAt: string;
}

/** Whether the merchant bears a confirmed fraud, and which clause of the rule decided. */
export function merchantLiableForFraud(fulfilment: Fulfilment): { liable: boolean; rule: string } {
  if (fulfilment.kind === 'digital') return { liable: false, rule: 'digital_goods_protected' };
  if (!fulfilment.shippedToOrderAddress) return { liable: true, rule: 'shipped_to_other_address' };
  if (!fulfilment.trackingRecorded) return { liable: true, rule: 'no_tracking_recorded' };
  return { liable: false, rule: 'seller_protected' };
}

/**
 * Applies the rule to a fraud-confirmed dispute: when the merchant is liable, debits it `amount`
 * (a `dispute_liability` entry keyed by the dispute id, so at most once per dispute); otherwise
 * writes nothing. Throws on an amount that is not a positive integer of minor units.
 */
export async function recordFraudDisputeOutcome(
  outcome: FraudDisputeOutcome,
  clock: Clock = defaultClock(),
): Promise<{ liable: boolean; rule: string; entry?: LedgerEntry }> {
  if (!Number.isSafeInteger(outcome.amount) || outcome.amount <= 0) {
    throw new Error('a dispute amount is a positive integer of minor units');
  }
  const decision = merchantLiableForFraud(outcome.fulfilment);
  if (!decision.liable) return decision;
  const recorded = await recordEntry(
    {
      id: outcome.disputeId,
      kind: 'dispute_liability',
      merchantId: outcome.merchantId,
      currency: outcome.currency,
      orderId: outcome.orderId,
      disputeId: outcome.disputeId,
      gross: -outcome.amount,
      fee: 0,
      net: -outcome.amount,
      occurredAt: outcome.confirmedAt,
    },
    clock,
  );
  return recorded === 'duplicate' ? decision : { ...decision, entry: recorded };
}
