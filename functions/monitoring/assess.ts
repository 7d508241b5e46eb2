/**
 * A real-time risk assessment: read the aggregates the event needs (one BatchGetItem), run the rules,
 * map the total score to a decision, store the decision with the rules that fired and why, raise a
 * flag when it is not `approve`, and add the event to the aggregates. The caller acts on the
 * decision (./risk.ts is the face).
 */
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Clock } from '../lib/clock.ts';
import { ddb, tableName } from '../lib/dynamodb.ts';
import { newId } from '../lib/ids.ts';
import { logger } from '../lib/logger.ts';
import { aggregateName, readAggregates, recordAggregates } from './aggregates.ts';
import { type RiskConfig, riskConfig } from './config.ts';
import { raiseFlag } from './flags.ts';
import { aggregatesAdded, aggregatesRead, evaluateRules, type Fired, type RiskEvent } from './rules.ts';
import { EMPTY_BUCKET, estimate } from './windows.ts';

export type RiskOutcome = 'approve' | 'review' | 'decline';

export interface RiskDecision {
  id: string;
  action: RiskEvent['action'];
  decision: RiskOutcome;
  /** What a review demands: a fresh second factor, or an operator (`hold`). */
  review?: 'step_up' | 'hold';
  score: number;
  fired: Fired[];
  /** True when the aggregates could not be read: the rules that need them did not run. */
  degraded?: boolean;
  at: string;
}

/** Decisions are kept 400 days (the dispute window of the longest plan, and then some). */
const DECISION_TTL_S = 400 * 86_400;

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
    const flagged = event.action === 'checkout' ? event.cardToken : undefined;
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

/**
 * Assesses `event` at the clock's time. Never throws for the rules' sake (a failed read approves,
 * `degraded`); throws when the decision cannot be stored (the caller's request fails, 503).
 */
export async function assess(event: RiskEvent, clock: Clock): Promise<RiskDecision> {
  const config = riskConfig();
  const now = clock.now();
  if (!config.enabled) {
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
  const { fired, degraded } = await firedRules(event, now.getTime(), config);
  const decision: RiskDecision = {
    id: newId('riskDecision', now),
    action: event.action,
    ...decide(fired, config),
    fired,
    ...(degraded ? { degraded } : {}),
    at: now.toISOString(),
  };
  await Promise.all([
    ddb().send(
      new PutCommand({
        TableName: tableName(),
        Item: {
          pk: `RISKDECISION#${decision.id}`,
          sk: 'DECISION',
          type: 'riskDecision',
          customerId: event.customerId,
          ...decision,
          ttl: Math.floor(now.getTime() / 1000) + DECISION_TTL_S,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    ),
    recordAggregates(aggregatesAdded(event), now.getTime()),
  ]);
  if (decision.decision !== 'approve') {
    await raiseFlag(
      {
        dedupeKey: `decision#${decision.id}`,
        severity: decision.decision === 'decline' ? 'high' : 'medium',
        rule: fired.map((f) => f.rule).join(','),
        customerId: event.customerId,
        evidence: {
          decisionId: decision.id,
          action: event.action,
          score: decision.score,
          reasons: fired.map((f) => f.reason).join('; '),
        },
      },
      clock,
    );
  }
  return decision;
}
