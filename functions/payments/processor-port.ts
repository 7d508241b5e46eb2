/**
 * The CardProcessor port: how Tessera moves money on a shopper's card. Orders (first installment at
 * capture, refunds of collected money) and collection depend on this port only. The sandbox adapter
 * (`sandbox.ts`) follows the well-known test cards; a real acquirer adapter plugs in beside it. This
 * module imports no adapter: `processor.ts` (the payments face) chooses.
 *
 * Every call carries an idempotency key, and an adapter MUST return the first outcome again for a
 * repeated key, so a retry after a crash or timeout can never charge or refund twice. Charges use
 * `<installmentId>#<attempt>`; refunds `<refundId>#<installmentId>`.
 */
import type { CurrencyCode } from '../lib/money.ts';

export interface ChargeRequest {
  /** The vault token of the shopper's saved card (`tok_…`); never a PAN. */
  cardToken: string;
  /** The shopper who owns the card: an adapter refuses a token that is not theirs. */
  customerId: string;
  amount: number;
  currency: CurrencyCode;
  idempotencyKey: string;
  /** Why the card is charged, for the detokenization audit trail (e.g. `installment ins_… of ord_…`). */
  reason: string;
}

/** Why a charge failed. Hard declines (lost, stolen, closed) must never be retried. */
export type DeclineCode =
  | 'card_declined'
  | 'insufficient_funds'
  | 'lost_card'
  | 'stolen_card'
  | 'expired_card'
  | 'card_unavailable'
  | 'processing_error';

export const HARD_DECLINES: ReadonlySet<DeclineCode> = new Set([
  'lost_card',
  'stolen_card',
  'expired_card',
  'card_unavailable',
]);

export type ChargeResult =
  | { status: 'succeeded'; chargeId: string }
  | { status: 'failed'; code: DeclineCode; hard: boolean; message: string; chargeId?: string };

export interface RefundRequest {
  /** The charge that collected the money being returned. */
  chargeId: string;
  amount: number;
  currency: CurrencyCode;
  idempotencyKey: string;
}

export type RefundOutcome = { status: 'succeeded'; refundId: string } | { status: 'failed'; message: string };

/**
 * Money sent TO a shopper's card (a withdrawal of their balance): the same fields as a charge, the
 * idempotency key being the withdrawal id (`wdr_…`) and the reason `withdrawal wdr_…`.
 */
export type PayoutRequest = ChargeRequest;

export type PayoutOutcome =
  | { status: 'succeeded'; payoutId: string }
  | { status: 'failed'; code: DeclineCode; message: string };

export interface CardProcessor {
  charge(request: ChargeRequest): Promise<ChargeResult>;
  refund(request: RefundRequest): Promise<RefundOutcome>;
  /**
   * The outcome the processor recorded for a charge key, or undefined when it never received that
   * key. Never charges. The reconciler settles a charge whose charger died by asking this, so an
   * adapter must answer from the acquirer's own records (for a real acquirer: its lookup by key).
   */
  chargeOutcome(idempotencyKey: string): Promise<ChargeResult | undefined>;
  /**
   * Pays `amount` out to the card (withdrawals). Optional so that an adapter without payouts still
   * charges and refunds; a withdrawal through such an adapter fails without moving money.
   */
  payout?(request: PayoutRequest): Promise<PayoutOutcome>;
  /**
   * The outcome the processor recorded for a payout key (the withdrawal id), or undefined when it
   * never received that key. Never pays out. The withdrawal reconciler (functions/balance/reconcile.ts)
   * settles a withdrawal left `pending` by asking this; an adapter with `payout` must offer it.
   */
  payoutOutcome?(idempotencyKey: string): Promise<PayoutOutcome | undefined>;
}

export interface TransferRequest {
  /** The acquirer's account of the merchant being paid (for Stripe Connect: `acct_…`). */
  destination: string;
  /** Integer minor units, > 0. */
  amount: number;
  currency: CurrencyCode;
  /** One key per settlement (e.g. `<settlementId>`): a retry never pays twice. */
  idempotencyKey: string;
  /** Shown on the merchant's statement of the transfer, e.g. `Tessera settlement stl_…`. */
  description: string;
}

export type TransferOutcome =
  | { status: 'succeeded'; transferId: string }
  | { status: 'failed'; message: string };

/**
 * Paying merchants out (settlements): a transfer to the merchant's acquirer account. A separate
 * port from `CardProcessor` (whose optional `payout` sends a shopper's balance to their card): the
 * sandbox has no money to move, so only a real acquirer adapter implements it; same idempotency rule.
 */
export interface TransferProcessor {
  transfer(request: TransferRequest): Promise<TransferOutcome>;
}
