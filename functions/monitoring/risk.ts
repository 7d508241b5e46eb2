/**
 * The monitoring face (the one file other capabilities import): assess an action in real time,
 * record a signal for later rules, and ask whether money may leave an account. Rules and thresholds:
 * ./rules.ts and ./config.ts; decisions and flags: ./assess.ts and ./flags.ts.
 */
import type { Clock } from '../lib/clock.ts';
import { DomainError } from '../lib/errors.ts';
import { logger } from '../lib/logger.ts';
import { recordAggregates } from './aggregates.ts';
import { assess, assessStaged, type RiskDecision, type StagedRiskDecision } from './assess.ts';
import { riskConfig } from './config.ts';
import { type RiskEvent, type SignalEvent, signalAdded } from './rules.ts';

export type { RiskDecision, RiskOutcome, StagedRiskDecision } from './assess.ts';
export { hasOpenHighSeverityFlag } from './flags.ts';
export type { RiskAction, RiskEvent, RiskSignal, SignalEvent } from './rules.ts';
export type { CarriedDecision } from './staged.ts';

/**
 * Assesses an action (checkout authorization, sign-in, adding a card, withdrawal, credit
 * application, sending a one-time code). The caller refuses a `decline` with `riskDeclined()`,
 * demands a step-up or holds on a `review` (`decision.review`), and proceeds on `approve`.
 */
export function assessRisk(event: RiskEvent, clock: Clock): Promise<RiskDecision> {
  return assess(event, clock);
}

/**
 * `assessRisk` for an action that commits its own transaction (checkout authorization): a decision
 * the caller goes on with comes back with `carried`, attributes to put on the item its transaction
 * inserts (the approval); the risk stream stores the decision and counts the event once that item
 * is inserted. The rules' writes then add no round trip and no transaction item. See assess.ts
 * `assessStaged` and staged.ts.
 */
export function assessRiskStaged(event: RiskEvent, clock: Clock): Promise<StagedRiskDecision> {
  return assessStaged(event, clock);
}

/**
 * Records a fact later rules count (a 2FA failure, a contact or 2FA change, a card decline), once
 * per `event.eventId` when it has one. Best effort: a failure is logged, never thrown (the action it
 * describes already happened). Card declines come from the two places a card is refused: the
 * vault's refusal of a card being added (vault/handler.ts) and every declined charge through the
 * payments face (payments/processor.ts), so card testing counts them per card and per IP.
 */
export async function recordRiskSignal(event: SignalEvent, clock: Clock): Promise<void> {
  if (!riskConfig().enabled) return;
  try {
    const named = event.eventId ? { eventId: event.eventId } : {};
    await recordAggregates(
      signalAdded(event).map((add) => ({ ...add, ...named })),
      clock.now().getTime(),
    );
  } catch (error) {
    logger.warn('risk signal not recorded', { signal: event.signal, error: String(error) });
  }
}

/**
 * Money leaving or credit granted (withdrawal, credit application): assessed, and refused on a
 * decline (402 `risk_declined`) or a review that holds for an operator (403 `risk_review_hold`). A
 * review that asks for a step-up is met: these actions always require a fresh one. `deviceId` and
 * `ipHash` (lib/origin.ts `originHashes` of the request) let `new_device_high_amount` judge it.
 */
export async function screenMoneyOut(
  event: {
    action: 'withdrawal' | 'credit_application';
    customerId: string;
    amountUsdMinor: number;
    deviceId?: string;
    ipHash?: string;
  },
  clock: Clock,
): Promise<RiskDecision> {
  const decision = await assess(event, clock);
  const refusal = riskRefusal(decision);
  if (refusal) throw refusal;
  return decision;
}

/**
 * What a caller answers for a decision, or undefined to go on: 402 `risk_declined` on a decline,
 * 403 `risk_review_hold` on a review that holds for an operator (and, with `stepUpAvailable: false`,
 * on a review that asks for a step-up the action cannot take). Neither names a rule.
 */
export function riskRefusal(
  decision: Pick<RiskDecision, 'decision' | 'review'>,
  { stepUpAvailable = true } = {},
): DomainError | undefined {
  if (decision.decision === 'decline') return riskDeclined();
  if (decision.decision !== 'review') return undefined;
  if (decision.review === 'step_up' && stepUpAvailable) return undefined;
  return new DomainError(
    'denied',
    'risk_review_hold',
    'This request needs a review by our team first; contact support if it does not clear.',
  );
}

/**
 * The refusal of a declined action: 402 `risk_declined`, saying nothing of which rule fired
 * (telling a fraudster which threshold they crossed teaches them the next attempt).
 */
export function riskDeclined(): DomainError<'declined'> {
  return new DomainError(
    'declined',
    'risk_declined',
    'This request cannot be approved. If you think this is a mistake, contact support.',
  );
}
