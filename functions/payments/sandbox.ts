/**
 * The sandbox CardProcessor: behaves like an acquirer for the well-known test cards, so the whole life
 * of a plan can be played locally and in tests.
 *
 *   4242 4242 4242 4242  succeeds (as does any other valid card not listed below)
 *   4000 0000 0000 0002  declined            (soft: may be retried)
 *   4000 0000 0000 9995  insufficient funds  (soft)
 *   4000 0000 0000 9987  lost card           (hard: never retried)
 *   4000 0000 0000 9979  stolen card         (hard)
 *   an expired card      expired_card        (hard)
 *   4000 0000 0000 5126  charges succeed; a refund of such a charge fails (Stripe's test card for
 *                        a failed refund), so refunds of collected money end in the customer balance
 *
 * Payouts (withdrawals to a card) follow the same cards, by their last 4 and expiry: the declined
 * ones refuse the payout. A payout reads the card's summary only, never its number (ADR 0013: only
 * the charger detokenizes), so the withdrawal route stays outside the card-data environment.
 *
 * It is idempotent by key like a real acquirer: the first outcome is stored (in the main table, under
 * `SANDBOX#…`, standing in for the acquirer's own records) and returned again for the same key. The
 * PAN is obtained from the vault only for the decision and zeroed straight after; it is never stored,
 * logged or returned.
 */
import { createHash, randomBytes } from 'node:crypto';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { type Clock, DAY_MS, clock as defaultClock } from '../lib/clock.ts';
import { ddb, isConditionFailure, tableName } from '../lib/dynamodb.ts';
import { ApiError } from '../lib/errors.ts';
import {
  type CardProcessor,
  type ChargeRequest,
  type ChargeResult,
  type DeclineCode,
  HARD_DECLINES,
  type PayoutOutcome,
  type PayoutRequest,
  type RefundOutcome,
  type RefundRequest,
} from './processor-port.ts';

/** What the sandbox needs from the vault: `detokenize` of `functions/vault/service.ts`. */
export type Detokenize = (
  token: string,
  context: { actor: string; reason: string },
) => Promise<{ pan: Buffer; expMonth: number; expYear: number; brand: string; customerId: string }>;

const DECLINES: Readonly<Record<string, { code: DeclineCode; message: string }>> = {
  '4000000000000002': { code: 'card_declined', message: 'The card was declined.' },
  '4000000000009995': { code: 'insufficient_funds', message: 'The card has insufficient funds.' },
  '4000000000009987': { code: 'lost_card', message: 'The card was reported lost.' },
  '4000000000009979': { code: 'stolen_card', message: 'The card was reported stolen.' },
};

const RECORD_TTL_MS = 90 * DAY_MS;

type RecordKind = 'CHARGE' | 'REFUND' | 'PAYOUT' | 'REFUND_FAILS';

/** Stripe's test card whose refunds fail. */
const REFUND_FAILS_PAN = '4000000000005126';

const recordKey = (kind: RecordKind, key: string) => ({
  pk: `SANDBOX#${kind}#${key}`,
  sk: 'SANDBOX',
});

/** Binds a key to its request: the same key with other parameters is a caller bug, not a replay. */
const fingerprint = (parts: Array<string | number>) =>
  createHash('sha256').update(parts.join('\n')).digest('hex');

function failure(code: DeclineCode, message: string, chargeId?: string): ChargeResult {
  return {
    status: 'failed',
    code,
    hard: HARD_DECLINES.has(code),
    message,
    ...(chargeId ? { chargeId } : {}),
  };
}

/** Decides from the PAN and expiry, then forgets them. */
function decide(card: { pan: Buffer; expMonth: number; expYear: number }, now: Date, chargeId: string) {
  const listed = DECLINES[card.pan.toString('ascii')];
  if (listed) return failure(listed.code, listed.message, chargeId);
  // A card is valid through the last day of its expiry month.
  const expired =
    card.expYear < now.getUTCFullYear() ||
    (card.expYear === now.getUTCFullYear() && card.expMonth < now.getUTCMonth() + 1);
  if (expired) return failure('expired_card', 'The card has expired.', chargeId);
  return { status: 'succeeded' as const, chargeId };
}

/** What the sandbox's payouts need from the vault: `getCard` of its face (no number). */
export type CardSummaryOf = (
  customerId: string,
  token: string,
) => Promise<{ last4: string; expMonth: number; expYear: number }>;

const PAYOUT_DECLINES: Readonly<Record<string, { code: DeclineCode; message: string }>> = Object.fromEntries(
  Object.entries(DECLINES).map(([pan, decline]) => [pan.slice(-4), decline]),
);

export class SandboxProcessor implements CardProcessor {
  readonly #detokenize: Detokenize;
  readonly #clock: () => Clock;
  readonly #cardSummary: CardSummaryOf | undefined;

  constructor(detokenize: Detokenize, clock: () => Clock = defaultClock, cardSummary?: CardSummaryOf) {
    this.#detokenize = detokenize;
    this.#clock = clock;
    this.#cardSummary = cardSummary;
  }

  /**
   * Detokenizes the card, decides (owner, test card, expiry) and forgets the PAN; a deleted
   * (crypto-shredded) or unknown card can never be used again: a hard decline.
   */
  async #decideOnCard(
    request: ChargeRequest,
    actor: string,
    id: string,
    now: Date,
  ): Promise<{ result: ChargeResult; refundFails: boolean }> {
    try {
      const card = await this.#detokenize(request.cardToken, { actor, reason: request.reason });
      try {
        const result =
          card.customerId === request.customerId
            ? decide(card, now, id)
            : failure('card_unavailable', 'The card does not belong to this customer.', id);
        return { result, refundFails: card.pan.toString('ascii') === REFUND_FAILS_PAN };
      } finally {
        card.pan.fill(0);
      }
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 404)) throw error;
      return {
        result: failure('card_unavailable', 'The card is no longer available.', id),
        refundFails: false,
      };
    }
  }

  async charge(request: ChargeRequest): Promise<ChargeResult> {
    const print = fingerprint([request.cardToken, request.customerId, request.amount, request.currency]);
    const stored = await this.#stored<ChargeResult>('CHARGE', request.idempotencyKey, print);
    if (stored) return stored;

    const now = this.#clock().now();
    const chargeId = `sandbox_ch_${randomBytes(12).toString('hex')}`;
    const { result, refundFails } = await this.#decideOnCard(request, 'system:charger', chargeId, now);
    if (result.status === 'succeeded' && refundFails) {
      await this.#store('REFUND_FAILS', chargeId, chargeId, true, now);
    }
    return this.#store('CHARGE', request.idempotencyKey, print, result, now);
  }

  async chargeOutcome(idempotencyKey: string): Promise<ChargeResult | undefined> {
    const { Item } = await ddb().send(
      new GetCommand({
        TableName: tableName(),
        Key: recordKey('CHARGE', idempotencyKey),
        ConsistentRead: true,
      }),
    );
    return Item ? (Item.outcome as ChargeResult) : undefined;
  }

  async refund(request: RefundRequest): Promise<RefundOutcome> {
    const print = fingerprint([request.chargeId, request.amount, request.currency]);
    const stored = await this.#stored<RefundOutcome>('REFUND', request.idempotencyKey, print);
    if (stored) return stored;
    const now = this.#clock().now();
    const fails = await this.#stored<boolean>('REFUND_FAILS', request.chargeId, request.chargeId);
    const outcome: RefundOutcome = fails
      ? { status: 'failed', message: 'The card refused the refund (sandbox card 4000 0000 0000 5126).' }
      : { status: 'succeeded', refundId: `sandbox_re_${randomBytes(12).toString('hex')}` };
    return this.#store('REFUND', request.idempotencyKey, print, outcome, now);
  }

  async payout(request: PayoutRequest): Promise<PayoutOutcome> {
    const print = fingerprint([request.cardToken, request.customerId, request.amount, request.currency]);
    const stored = await this.#stored<PayoutOutcome>('PAYOUT', request.idempotencyKey, print);
    if (stored) return stored;
    const now = this.#clock().now();
    return this.#store('PAYOUT', request.idempotencyKey, print, await this.#payoutOutcome(request, now), now);
  }

  async payoutOutcome(idempotencyKey: string): Promise<PayoutOutcome | undefined> {
    const { Item } = await ddb().send(
      new GetCommand({
        TableName: tableName(),
        Key: recordKey('PAYOUT', idempotencyKey),
        ConsistentRead: true,
      }),
    );
    return Item ? (Item.outcome as PayoutOutcome) : undefined;
  }

  async #payoutOutcome(request: PayoutRequest, now: Date): Promise<PayoutOutcome> {
    if (!this.#cardSummary) {
      return { status: 'failed', code: 'processing_error', message: 'Payouts are not configured.' };
    }
    let card: Awaited<ReturnType<CardSummaryOf>>;
    try {
      card = await this.#cardSummary(request.customerId, request.cardToken);
    } catch (error) {
      // Not this customer's card, deleted or unknown: never paid out to.
      if (!(error instanceof ApiError && error.status === 404)) throw error;
      return { status: 'failed', code: 'card_unavailable', message: 'The card is not available.' };
    }
    const listed = PAYOUT_DECLINES[card.last4];
    if (listed) return { status: 'failed', ...listed };
    const year = now.getUTCFullYear();
    if (card.expYear < year || (card.expYear === year && card.expMonth < now.getUTCMonth() + 1)) {
      return { status: 'failed', code: 'expired_card', message: 'The card has expired.' };
    }
    return { status: 'succeeded', payoutId: `sandbox_po_${randomBytes(12).toString('hex')}` };
  }

  async #stored<T>(kind: RecordKind, key: string, print: string): Promise<T | undefined> {
    const { Item } = await ddb().send(
      new GetCommand({ TableName: tableName(), Key: recordKey(kind, key), ConsistentRead: true }),
    );
    if (!Item) return undefined;
    if (Item.fingerprint !== print) {
      throw new Error(`sandbox processor: idempotency key ${key} reused with different parameters`);
    }
    return Item.outcome as T;
  }

  async #store<T>(kind: RecordKind, key: string, print: string, outcome: T, now: Date): Promise<T> {
    try {
      await ddb().send(
        new PutCommand({
          TableName: tableName(),
          Item: {
            ...recordKey(kind, key),
            type: 'sandboxProcessorRecord',
            fingerprint: print,
            outcome,
            createdAt: now.toISOString(),
            ttl: Math.floor((now.getTime() + RECORD_TTL_MS) / 1000),
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return outcome;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      // A concurrent call with the same key won: its outcome is the outcome.
      const winner = await this.#stored<T>(kind, key, print);
      if (!winner) throw error;
      return winner;
    }
  }
}
