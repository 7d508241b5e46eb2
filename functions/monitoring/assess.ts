/**
 * A real-time risk assessment: read the aggregates the event needs (one BatchGetItem), run the rules,
 * map the total score to a decision, store the decision with the rules that fired and why, raise a
 * flag when it is not `approve`, and add the event to the aggregates. The caller acts on the
 * decision (./risk.ts is the face).
 *
 * Two forms. `assess` stores everything before it answers. `assessStaged` (checkout) answers after
 * the one read: a decision the caller goes on with comes back with attributes for the item the
 * caller's own transaction inserts (the approval; the approval and the decision it rests on commit
 * together), and the risk stream consumer (./staged.ts, ./stream.ts) stores the decision's record and
 * adds the event to the aggregates once that item is inserted. The rules' writes then cost the
 * request no round trip and no transaction item of their own (issue 12's budget: the rules add at
 * most 1.3x to checkout latency; measured in docs/performance.md, "Risk rules after ADR 0030"; the
 * rules are listed in the README, "Account monitoring"). The price is that a committed checkout
 * reaches the velocity counts, and its decision record appears, a stream delivery later (under a
 * second in AWS), which a burst of parallel requests outran before as well (each read before the
 * others wrote).
 * See docs/adr/0029-staged-risk-writes.md and docs/adr/0030-risk-decision-on-the-approval.md.
 */
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Clock } from '../lib/clock.ts';
import { ddb } from '../lib/dynamodb.ts';
import { newId } from '../lib/ids.ts';
import { logger } from '../lib/logger.ts';
import { aggregateName, readAggregates, recordAggregates } from './aggregates.ts';
import { type RiskConfig, riskConfig } from './config.ts';
import { decisionPut, type RiskDecision } from './decision.ts';
import { raiseFlag } from './flags.ts';
import { aggregatesAdded, aggregatesRead, evaluateRules, type Fired, type RiskEvent } from './rules.ts';
import { type CarriedDecision, carriedDecision } from './staged.ts';
import { EMPTY_BUCKET, estimate } from './windows.ts';

export type { RiskDecision, RiskOutcome } from './decision.ts';

/** The decision for a set of fired rules (pure): the thresholds of ./config.ts. */
export function decide(
  fired: readonly Fired[],
  config: RiskConfig,
): Pick<RiskDecision, 'decision' | 'review' | 'score'> {
  const score = fired.reduce((total, f) => total + f.score, 0);
  if (score >= config.declineAt) return { decision: 'decline', score };
  if (score < config.reviewAt) return { decision: 'approve', score };
  const hold = fired.some((f) => config.rules[f.rule].onReview === 'hold');
  return { decision: 'review', review: hold ? 'hold' : 'step_up', score };
}

async function firedRules(event: RiskEvent, atMs: number, config: RiskConfig) {
  try {
    // A flagged card is keyed by its fingerprint (every token of the number), by its token only
    // when the vault gave none (disputes/store.ts cardFlagKey): one key either way.
    const flagged = event.action === 'checkout' ? (event.cardFingerprint ?? event.cardToken) : undefined;
    const estimates = await readAggregates(aggregatesRead(event), atMs, flagged);
    const get = Object.assign(
      (ref: Parameters<typeof aggregateName>[0]) =>
        estimates.get(aggregateName(ref)) ?? estimate(ref.window, atMs, EMPTY_BUCKET, EMPTY_BUCKET),
      { cardFlagged: estimates.cardFlagged === true },
    );
    return { fired: evaluateRules(event, get, config), degraded: false };
  } catch (error) {
    // Fail open: an unreadable history must not stop every checkout. Logged and stored as degraded.
    logger.error('risk aggregates unreadable; rules needing history skipped', { error: error as Error });
    return { fired: [] as Fired[], degraded: true };
  }
}

/** The decision of monitoring switched off: approved, unassessed, nothing stored. */
function unassessed(event: RiskEvent, now: Date): RiskDecision {
  logger.debug('account monitoring is off (RISK_CONFIG.enabled = false): approved unassessed', {
    action: event.action,
  });
  return {
    id: 'rsk_off',
    action: event.action,
    decision: 'approve',
    score: 0,
    fired: [],
    at: now.toISOString(),
  };
}

/** Reads the aggregates, runs the rules and decides (nothing written). */
async function evaluate(event: RiskEvent, now: Date, config: RiskConfig): Promise<RiskDecision> {
  const { fired, degraded } = await firedRules(event, now.getTime(), config);
  return {
    id: newId('riskDecision', now),
    action: event.action,
    ...decide(fired, config),
    fired,
    ...(degraded ? { degraded } : {}),
    at: now.toISOString(),
  };
}

/** A flag for a decision that is not `approve` (deduplicated by the decision id). */
async function flagDecision(event: RiskEvent, decision: RiskDecision, clock: Clock): Promise<void> {
  if (decision.decision === 'approve') return;
  await raiseFlag(
    {
      dedupeKey: `decision#${decision.id}`,
      severity: decision.decision === 'decline' ? 'high' : 'medium',
      rule: decision.fired.map((f) => f.rule).join(','),
      customerId: event.customerId,
      evidence: {
        decisionId: decision.id,
        action: event.action,
        score: decision.score,
        reasons: decision.fired.map((f) => f.reason).join('; '),
      },
    },
    clock,
  );
}

/** Stores the decision and adds the event to the aggregates, in parallel. Throws on a failed write. */
async function storeAll(event: RiskEvent, decision: RiskDecision, now: Date): Promise<void> {
  await Promise.all([
    ddb().send(new PutCommand(decisionPut(decision, event.customerId, now))),
    recordAggregates(aggregatesAdded(event), now.getTime()),
  ]);
}

/**
 * Assesses `event` at the clock's time. Never throws for the rules' sake (a failed read approves,
 * `degraded`); throws when the decision cannot be stored (the caller's request fails, 503).
 */
export async function assess(event: RiskEvent, clock: Clock): Promise<RiskDecision> {
  const config = riskConfig();
  const now = clock.now();
  if (!config.enabled) return unassessed(event, now);
  const decision = await evaluate(event, now, config);
  await storeAll(event, decision, now);
  await flagDecision(event, decision, clock);
  return decision;
}

/** A decision whose record the caller commits with its own transaction. */
export interface StagedRiskDecision extends RiskDecision {
  /**
   * Attributes for the item the caller's transaction inserts (once; an item that is never put
   * again): the decision and the event it judged (./staged.ts). Once that item is inserted, the risk
   * stream consumer stores the decision's record and adds the event to the aggregates, each once.
   * Absent when there is nothing to commit: monitoring is off, or the decision refuses the action and
   * was stored (and counted) already. Attributes that never commit (the caller's transaction was
   * refused) leave no decision and count nothing.
   */
  carried?: CarriedDecision;
}

/**
 * `assess` for an action that commits its own transaction (checkout authorization). A decision
 * that refuses (a decline, a review held for an operator) is stored, counted and flagged before it
 * returns, as by `assess`. One the caller goes on with (approve, a review met by a step-up) returns
 * after the one read, with its record (see StagedRiskDecision). A step-up review is flagged at once,
 * and its record stored with the flag (in parallel), so the flag's `evidence.decisionId` names a
 * stored decision even when the step-up is then refused and the approval never commits; its counts
 * still wait for the approval (attempts without an approval do not reach the velocity counters; the
 * stream's later store of the record is a no-op). Throws when a decision it must store cannot be.
 */
export async function assessStaged(event: RiskEvent, clock: Clock): Promise<StagedRiskDecision> {
  const config = riskConfig();
  const now = clock.now();
  if (!config.enabled) return unassessed(event, now);
  const decision = await evaluate(event, now, config);
  const refuses =
    decision.decision === 'decline' || (decision.decision === 'review' && decision.review === 'hold');
  if (refuses) {
    await storeAll(event, decision, now);
    await flagDecision(event, decision, clock);
    return decision;
  }
  if (decision.decision === 'review') {
    await Promise.all([
      ddb().send(new PutCommand(decisionPut(decision, event.customerId, now))),
      flagDecision(event, decision, clock),
    ]);
  }
  return { ...decision, carried: carriedDecision(decision, event) };
}
