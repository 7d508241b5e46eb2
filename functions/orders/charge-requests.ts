/**
 * Hands claimed installments to the charger, the one function that may detokenize a card
 * (ARCHITECTURE.md, Security model; infra/jobs.ts). Capture and payoff claim an installment
 * themselves (`charging` at the next attempt, indexed under today) and then send it here; the
 * charger charges it with the processor key `<installmentId>#<attempt>` and records the outcome
 * (./collect.ts `chargeClaimedInstallment`), exactly as collection does.
 *
 * A lost message costs nothing but time: the claimed installment stays `charging` in the `due` index,
 * and after CHARGING_TIMEOUT_MS the next collection run settles it from the processor's record of
 * the key, or releases and charges it (./collect.ts `reconcile`).
 */
import { isoDay } from '../lib/clock.ts';
import { logger } from '../lib/logger.ts';
import { deliverLocally, namedQueue } from '../lib/queues.ts';
import type { InstallmentRecord } from './model.ts';

/** The message to the charge queue (parsed there as collection's ClaimedChargeMessage). */
export interface ClaimedCharge {
  action: 'charge';
  /** The day the claim was made, YYYY-MM-DD. */
  asOf: string;
  orderId: string;
  installmentId: string;
  /** The claimed attempt: the processor key is `<installmentId>#<attempt>`. */
  attempt: number;
}

/**
 * Sends one charge message per claimed installment (`status: 'charging'`), then has them delivered
 * at once where the queue is in-process (the local runtime). Returns false when the queue refused
 * them: nothing is lost (see above), so the caller's request still stands. Never throws.
 */
export async function requestCharges(claimed: readonly InstallmentRecord[], now: Date): Promise<boolean> {
  if (claimed.length === 0) return true;
  const messages: ClaimedCharge[] = claimed.map((installment) => ({
    action: 'charge',
    asOf: isoDay(now),
    orderId: installment.orderId,
    installmentId: installment.id,
    attempt: installment.attempts,
  }));
  try {
    await namedQueue<ClaimedCharge>('collection-charges').send(messages);
  } catch (error) {
    logger.error('charge requests not queued; the next collection run settles them', {
      installmentIds: claimed.map((i) => i.id),
      error: error as Error,
    });
    return false;
  }
  try {
    await deliverLocally('collection-charges');
  } catch (error) {
    // Queued: the local drain or the next run delivers them again.
    logger.warn('local charge delivery failed', { error: String(error) });
  }
  return true;
}
