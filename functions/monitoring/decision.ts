/**
 * A risk decision and its record: `RISKDECISION#<id>` / `DECISION`, with the rules that fired and
 * why, kept DECISION_TTL_S. Written by an assessment that stores before it answers (./assess.ts), or,
 * for a decision carried on the caller's item, by the risk stream consumer (./staged.ts).
 */
import { tableName } from '../lib/dynamodb.ts';
import type { Fired, RiskEvent } from './rules.ts';

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

/**
 * The decision's record, `RISKDECISION#<id>` / `DECISION`, kept DECISION_TTL_S from `now`: a Put
 * conditioned on the record not existing yet (a decision is stored once).
 */
export function decisionPut(decision: RiskDecision, customerId: string, now: Date) {
  return {
    TableName: tableName(),
    Item: {
      pk: `RISKDECISION#${decision.id}`,
      sk: 'DECISION',
      type: 'riskDecision',
      customerId,
      ...decision,
      ttl: Math.floor(now.getTime() / 1000) + DECISION_TTL_S,
    },
    ConditionExpression: 'attribute_not_exists(pk)',
  };
}
