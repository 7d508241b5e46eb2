/**
 * The payments capability's face: the CardProcessor port (`processor-port.ts`, re-exported) and the
 * process-wide processor, chosen here and not by callers (`processor-config.ts`): the sandbox in
 * test mode, Stripe (`stripe.ts`) where CARD_PROCESSOR=stripe. Live mode (stage prod) refuses the
 * sandbox with a ProcessorConfigurationError. Every charge outcome is counted (lib/metrics.ts), and
 * every decline is a card-testing signal for account monitoring.
 */
import { clock } from '../lib/clock.ts';
import { logger } from '../lib/logger.ts';
import { countMetric } from '../lib/metrics.ts';
import { getSecret } from '../lib/secrets.ts';
import { recordRiskSignal } from '../monitoring/risk.ts';
import { detokenize, getCard } from '../vault/access.ts';
import { type ProcessorChoice, processorChoice } from './processor-config.ts';
import type { CardProcessor, ChargeRequest, ChargeResult, TransferProcessor } from './processor-port.ts';
import { SandboxProcessor } from './sandbox.ts';

export { ProcessorConfigurationError } from './processor-config.ts';
export * from './processor-port.ts';

let current: CardProcessor | undefined;
/** Replaces the process-wide processor (tests inject crashes, the bench a stub); undefined rebuilds it. */
export function setCardProcessor(next: CardProcessor | undefined): void {
  current = next;
}

/**
 * The process-wide processor, built once. Throws ProcessorConfigurationError when the environment
 * asks for a processor that cannot serve it (the sandbox in live mode, Stripe without its key).
 */
export function cardProcessor(): CardProcessor {
  if (!current) {
    const choice = processorChoice();
    current = counted(
      choice.kind === 'sandbox'
        ? new SandboxProcessor((token, purpose) => detokenize(token, purpose), undefined, getCard)
        : new LazyStripe(choice),
    );
  }
  return current;
}

/** Merchant payouts (transfers): only a real acquirer pays out, so there is none in sandbox mode. */
export function transferProcessor(): TransferProcessor {
  const choice = processorChoice();
  if (choice.kind === 'sandbox') {
    throw new Error('no payout processor in sandbox mode: settlements are reported, not paid out');
  }
  stripe ??= new LazyStripe(choice);
  return stripe;
}
let stripe: LazyStripe | undefined;

/**
 * Loads the Stripe SDK (about 250 KB) on the first money movement only, so functions that bundle
 * the payments face but never charge keep their cold start, and reads its key from Secrets Manager.
 */
class LazyStripe implements CardProcessor, TransferProcessor {
  readonly #choice: Extract<ProcessorChoice, { kind: 'stripe' }>;
  #loaded?: Promise<CardProcessor & TransferProcessor>;

  constructor(choice: Extract<ProcessorChoice, { kind: 'stripe' }>) {
    this.#choice = choice;
  }

  #processor(): Promise<CardProcessor & TransferProcessor> {
    this.#loaded ??= (async () => {
      const [{ StripeProcessor }, apiKey] = await Promise.all([
        import('./stripe.ts'),
        getSecret('processor-api-key').then((value) => value.toString('utf8').trim()),
      ]);
      return new StripeProcessor({
        apiKey,
        live: this.#choice.live,
        detokenize: (token, purpose) => detokenize(token, purpose),
      });
    })();
    this.#loaded.catch(() => {
      this.#loaded = undefined;
    });
    return this.#loaded;
  }

  charge: CardProcessor['charge'] = async (request) => (await this.#processor()).charge(request);
  refund: CardProcessor['refund'] = async (request) => (await this.#processor()).refund(request);
  chargeOutcome: CardProcessor['chargeOutcome'] = async (key) => (await this.#processor()).chargeOutcome(key);
  transfer: TransferProcessor['transfer'] = async (request) => (await this.#processor()).transfer(request);
}

/**
 * A declined charge counts against its card (by fingerprint) for account monitoring's card-testing
 * rule, once per idempotency key (a retried charge returns its first decline again). A processing
 * error is not the card's doing and does not count. Best effort: a card gone from the vault, or an
 * unreadable one, leaves the decline uncounted and the charge's outcome as it is.
 */
async function countDecline(request: ChargeRequest, result: ChargeResult): Promise<void> {
  if (result.status !== 'failed' || result.code === 'processing_error') return;
  try {
    const { fingerprintId } = await getCard(request.customerId, request.cardToken);
    if (!fingerprintId) return;
    await recordRiskSignal(
      {
        signal: 'card_decline',
        customerId: request.customerId,
        cardFingerprint: fingerprintId,
        eventId: request.idempotencyKey,
      },
      clock(),
    );
  } catch (error) {
    logger.warn('card decline not counted for monitoring', { card: request.cardToken, error: String(error) });
  }
}

/**
 * Counts charge outcomes (the collection results of the dashboard) around any processor, and each
 * decline for monitoring (`countDecline`): every charge (capture's first installment, payoff,
 * collection, renewals) goes through here, so this is the one place a processor's decline is seen.
 */
function counted(processor: CardProcessor): CardProcessor {
  return {
    charge: async (request: ChargeRequest): Promise<ChargeResult> => {
      const result = await processor.charge(request);
      await countDecline(request, result);
      countMetric(
        result.status === 'succeeded'
          ? 'ChargeSucceeded'
          : result.hard
            ? 'ChargeDeclinedHard'
            : 'ChargeDeclinedSoft',
      );
      return result;
    },
    refund: (request) => processor.refund(request),
    chargeOutcome: (key) => processor.chargeOutcome(key),
    ...(processor.payout ? { payout: processor.payout.bind(processor) } : {}),
  };
}
