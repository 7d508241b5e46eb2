/**
 * The production CardProcessor (and TransferProcessor): Stripe, through its official `stripe` SDK.
 * See docs/adr/0015-production-card-processor.md for the choices made here.
 *
 * - charge: the vault's card is detokenized, sent once to Stripe as a PaymentMethod (raw card data
 *   API: the Stripe account must be enabled for it, Tessera being the PCI DSS level 1 vault), then
 *   charged off-session with a confirmed PaymentIntent. Both calls carry Stripe idempotency keys
 *   derived from the port's key, and the PaymentIntent records the key in its metadata.
 * - chargeOutcome: a PaymentIntent search on that metadata (read only; Stripe's search is
 *   eventually consistent, usually within a minute, so the reconciler asks again later when the
 *   outcome is not final or not yet visible).
 * - refund: a Refund of the PaymentIntent; transfer: a Connect Transfer to the merchant's account.
 *
 * Stripe keeps an idempotency key for 24 hours, the port's rule has no end: `charge` therefore
 * looks a key up first and only creates a PaymentIntent for a key Stripe has never seen.
 * Declines map to hard and soft through `stripe-declines.ts`. The PAN lives in a Buffer zeroed after
 * use; the SDK needs it as a string for the one request (a string cannot be zeroed, it is dropped).
 */
import Stripe from 'stripe';
import { ApiError } from '../lib/errors.ts';
import { ProcessorConfigurationError } from './processor-config.ts';
import type {
  CardProcessor,
  ChargeRequest,
  ChargeResult,
  DeclineCode,
  RefundOutcome,
  RefundRequest,
  TransferOutcome,
  TransferProcessor,
  TransferRequest,
} from './processor-port.ts';
import type { Detokenize } from './sandbox.ts';
import { mapStripeDecline } from './stripe-declines.ts';

/** The metadata field on a PaymentIntent holding the port's idempotency key. */
export const KEY_METADATA = 'tessera_idempotency_key';

export interface StripeProcessorOptions {
  /** A secret (`sk_…`) or restricted (`rk_…`) key; its mode must match `live`. */
  apiKey: string;
  /** Live mode (the prod stage, `sk_live_` merchant keys): only a live Stripe key is accepted. */
  live: boolean;
  detokenize: Detokenize;
  /** Tests point the SDK at a local fake of Stripe's API; default api.stripe.com:443 over https. */
  host?: string;
  port?: number;
  protocol?: 'http' | 'https';
  /** Per request; default 20 s (Lambda functions that charge run 10 s or more: keep it below). */
  timeoutMs?: number;
  /** SDK retries of network failures and 409/429/5xx, safe with idempotency keys; default 2. */
  maxNetworkRetries?: number;
}

/** Stripe is asked about an outcome it has not settled (processing, or not yet searchable). */
export class OutcomePendingError extends Error {
  override readonly name = 'OutcomePendingError';
}

const failure = (code: DeclineCode, hard: boolean, message: string, chargeId?: string): ChargeResult => ({
  status: 'failed',
  code,
  hard,
  message,
  ...(chargeId ? { chargeId } : {}),
});

/** Checks that a Stripe key's mode matches the deployment's; throws ProcessorConfigurationError. */
export function assertStripeKeyMode(apiKey: string, live: boolean): void {
  const mode = /^(?:sk|rk)_(live|test)_[A-Za-z0-9]+$/.exec(apiKey)?.[1];
  if (!mode) throw new ProcessorConfigurationError('the Stripe API key is not an sk_/rk_ secret key');
  if ((mode === 'live') !== live) {
    throw new ProcessorConfigurationError(
      live
        ? 'live mode needs a live Stripe key (sk_live_…); a test key would charge no one'
        : 'a live Stripe key (sk_live_…) outside live mode would charge real cards from a test deployment',
    );
  }
}

export class StripeProcessor implements CardProcessor, TransferProcessor {
  readonly #stripe: Stripe;
  readonly #detokenize: Detokenize;

  constructor(options: StripeProcessorOptions) {
    assertStripeKeyMode(options.apiKey, options.live);
    this.#detokenize = options.detokenize;
    this.#stripe = new Stripe(options.apiKey, {
      maxNetworkRetries: options.maxNetworkRetries ?? 2,
      timeout: options.timeoutMs ?? 20_000,
      telemetry: false,
      ...(options.host ? { host: options.host } : {}),
      ...(options.port ? { port: options.port } : {}),
      ...(options.protocol ? { protocol: options.protocol } : {}),
    });
  }

  async charge(request: ChargeRequest): Promise<ChargeResult> {
    const known = await this.#search(request.idempotencyKey);
    if (known) return outcomeOf(known);
    let card: Awaited<ReturnType<Detokenize>>;
    try {
      card = await this.#detokenize(request.cardToken, { actor: 'system:charger', reason: request.reason });
    } catch (error) {
      // A deleted (crypto-shredded) or unknown card can never be charged again: a hard decline.
      if (error instanceof ApiError && error.status === 404) {
        return failure('card_unavailable', true, 'The card is no longer available.');
      }
      throw error;
    }
    try {
      if (card.customerId !== request.customerId) {
        return failure('card_unavailable', true, 'The card does not belong to this customer.');
      }
      const paymentMethod = await this.#stripe.paymentMethods.create(
        {
          type: 'card',
          card: { number: card.pan.toString('ascii'), exp_month: card.expMonth, exp_year: card.expYear },
        },
        { idempotencyKey: `${request.idempotencyKey}#pm` },
      );
      const intent = await this.#stripe.paymentIntents.create(
        {
          amount: request.amount,
          currency: request.currency.toLowerCase(),
          payment_method: paymentMethod.id,
          confirm: true,
          off_session: true,
          description: request.reason.slice(0, 1000),
          metadata: { [KEY_METADATA]: request.idempotencyKey, customer_id: request.customerId },
        },
        { idempotencyKey: request.idempotencyKey },
      );
      return outcomeOf(intent);
    } catch (error) {
      if (error instanceof Stripe.errors.StripeCardError) return declineOf(error);
      throw error;
    } finally {
      card.pan.fill(0);
    }
  }

  /**
   * The recorded outcome for a key; undefined when Stripe never saw it. Throws OutcomePendingError
   * while the PaymentIntent is still processing: ask again later, never charge again meanwhile.
   */
  async chargeOutcome(idempotencyKey: string): Promise<ChargeResult | undefined> {
    const intent = await this.#search(idempotencyKey);
    return intent ? outcomeOf(intent) : undefined;
  }

  async refund(request: RefundRequest): Promise<RefundOutcome> {
    try {
      const refund = await this.#stripe.refunds.create(
        {
          payment_intent: request.chargeId,
          amount: request.amount,
          metadata: { [KEY_METADATA]: request.idempotencyKey },
        },
        { idempotencyKey: request.idempotencyKey },
      );
      // `pending` is accepted: Stripe completes it (or reports a failure by webhook).
      if (refund.status === 'failed' || refund.status === 'canceled') {
        return { status: 'failed', message: `Stripe refund ${refund.id} ${refund.status}` };
      }
      return { status: 'succeeded', refundId: refund.id };
    } catch (error) {
      if (error instanceof Stripe.errors.StripeInvalidRequestError) {
        return { status: 'failed', message: `Stripe refused the refund: ${error.code ?? error.message}` };
      }
      throw error;
    }
  }

  async transfer(request: TransferRequest): Promise<TransferOutcome> {
    try {
      const transfer = await this.#stripe.transfers.create(
        {
          amount: request.amount,
          currency: request.currency.toLowerCase(),
          destination: request.destination,
          description: request.description,
          metadata: { [KEY_METADATA]: request.idempotencyKey },
        },
        { idempotencyKey: request.idempotencyKey },
      );
      return { status: 'succeeded', transferId: transfer.id };
    } catch (error) {
      if (error instanceof Stripe.errors.StripeInvalidRequestError) {
        return { status: 'failed', message: `Stripe refused the payout: ${error.code ?? error.message}` };
      }
      throw error;
    }
  }

  async #search(idempotencyKey: string): Promise<Stripe.PaymentIntent | undefined> {
    const escaped = idempotencyKey.replaceAll('\\', '\\\\').replaceAll("'", "\\'");
    const found = await this.#stripe.paymentIntents.search({
      query: `metadata['${KEY_METADATA}']:'${escaped}'`,
      limit: 1,
    });
    return found.data[0];
  }
}

/** A PaymentIntent's final outcome; OutcomePendingError while it has none. */
function outcomeOf(intent: Stripe.PaymentIntent): ChargeResult {
  if (intent.status === 'succeeded') return { status: 'succeeded', chargeId: intent.id };
  if (intent.status === 'requires_payment_method' || intent.status === 'canceled') {
    const error = intent.last_payment_error;
    const mapped = mapStripeDecline(error?.decline_code, error?.code ?? 'card_declined');
    return failure(mapped.code, mapped.hard, error?.message ?? 'The card was declined.', intent.id);
  }
  if (intent.status === 'requires_action') {
    // Off-session: the issuer wants the shopper (3-D Secure). Soft: the shopper can act on it.
    return failure(
      'card_declined',
      false,
      'The card issuer requires the shopper to authenticate.',
      intent.id,
    );
  }
  throw new OutcomePendingError(`PaymentIntent ${intent.id} is ${intent.status}`);
}

function declineOf(error: InstanceType<typeof Stripe.errors.StripeCardError>): ChargeResult {
  const mapped = mapStripeDecline(error.decline_code || undefined, error.code);
  const chargeId = error.payment_intent?.id ?? error.charge;
  return failure(mapped.code, mapped.hard, error.message, chargeId);
}
