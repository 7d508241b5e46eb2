/**
 * A checkout's risk decision carried on the approval it rests on (docs/adr/0030): the decision and
 * the event it judged ride as one attribute on the item the caller's transaction inserts, and the
 * risk stream consumer (./stream.ts) turns them into the decision's record and the event's aggregate
 * additions once that item is inserted. The approval's transaction then holds no item of
 * monitoring's own; an approval that never commits leaves no decision and counts nothing.
 */
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { ddb, isConditionFailure } from '../lib/dynamodb.ts';
import { recordAggregates } from './aggregates.ts';
import { decisionPut, type RiskDecision } from './decision.ts';
import { aggregatesAdded, type RiskEvent } from './rules.ts';

/**
 * The attribute a carried decision rides on. Its `id` (a string) is the leaf the stream's event
 * filter matches (infra/constructs/risk-stream.ts), on INSERT only.
 */
export const CARRIED_ATTRIBUTE = 'riskStaged';

/** A decision as carried: the decision and the event it judged (for its aggregate additions). */
export interface CarriedDecision {
  [CARRIED_ATTRIBUTE]: RiskDecision & { event: RiskEvent };
}

/**
 * The attributes that carry `decision` on the caller's item, with what `aggregatesAdded` reads of
 * `event` (the card token is not needed: the flag lookup by token is a read).
 */
export function carriedDecision(decision: RiskDecision, event: RiskEvent): CarriedDecision {
  const { cardToken: _token, ...counted } = event;
  return { [CARRIED_ATTRIBUTE]: { ...decision, event: counted } };
}

/** Stores a decision's record unless it is there already (an earlier delivery stored it). */
async function storeOnce(decision: RiskDecision, customerId: string, at: Date): Promise<void> {
  try {
    await ddb().send(new PutCommand(decisionPut(decision, customerId, at)));
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
  }
}

/**
 * Applies the decision carried by an inserted item (`carried`: its new image's CARRIED_ATTRIBUTE,
 * unmarshalled): stores the decision's record (kept 400 days from the decision) and adds the event
 * it judged to the aggregates at the decision's time (./rules.ts `aggregatesAdded`, each addition
 * named by the decision id), in parallel. Each happens once however often the item is delivered: the
 * record is a conditional Put, the additions are deduplicated by name (./aggregates.ts). Ignores a
 * value that is not a carried decision. Throws on infrastructure errors (the stream retries).
 */
export async function recordCarried(carried: unknown): Promise<void> {
  const staged = carried as Partial<CarriedDecision[typeof CARRIED_ATTRIBUTE]> | undefined;
  const at = Date.parse(String(staged?.at ?? ''));
  if (typeof staged?.id !== 'string' || !staged.event?.customerId || Number.isNaN(at)) return;
  const { event, ...decision } = staged as CarriedDecision[typeof CARRIED_ATTRIBUTE];
  await Promise.all([
    storeOnce(decision, event.customerId, new Date(at)),
    recordAggregates(
      aggregatesAdded(event).map((add) => ({ ...add, eventId: decision.id })),
      at,
    ),
  ]);
}
