/**
 * Audit of gate decisions (issue 11: "every gate decision, allowed or refused, and why"), in ONE
 * place: every gated action runs its checks through `auditedGate`. A gate is a check in front of
 * money that leaves the platform, money that moves out of the customer balance, or credit that is
 * used or granted: KYC, an open high-severity account flag, the risk screen, step-up, the balance,
 * the credit limit, the application rate. The gated actions: `withdrawal`, `credit_application`,
 * `authorize_checkout`, `balance_payment` (README, "the gates").
 *
 * Each decision is one audit item `gate.<gate>` under the customer (`AUDIT#<customerId>`):
 * - allowed: reason `allowed`, and `checks` in the metadata says what passed and how (e.g.
 *   `identity=verified,accountFlags=none,risk=approve,stepUp=verified,balance=covered`); committed
 *   in the SAME transaction as what it allows (the caller adds the item `allowed(...)` built), so an
 *   allowed action is never unaudited, and an audit never claims an action that did not happen;
 * - refused: reason = the refusal's error code (e.g. `identity_not_verified`, `step_up_required`,
 *   `credit_limit_exceeded`), written on its own, since nothing else is.
 * Subjects and metadata are ids, amounts, statuses and codes only: no personal data in clear (and
 * metadata passes the logger's redaction besides: lib/audit.ts).
 */
import { type AuditEvent, auditItem } from './audit.ts';
import type { Clock } from './clock.ts';
import { ApiError } from './errors.ts';
import { logger } from './logger.ts';
import { type TransactItem, writeTransaction } from './transactions.ts';

export interface Gate {
  /** The gated action, e.g. `withdrawal`, `credit_application`, `authorize_checkout`. */
  gate: string;
  customerId: string;
  /** Ids and amounts of the request (no personal data). */
  metadata?: AuditEvent['metadata'];
}

/** What passed, and how: the "why" of an allowed decision, e.g. `{ identity: 'verified' }`. */
export type GateChecks = Record<string, string | number>;

/** Builds the `allowed` audit item, to commit in the caller's transaction. */
export type AllowGate = (checks: GateChecks, metadata?: AuditEvent['metadata']) => TransactItem;

function gateAuditItem(gate: Gate, outcome: string, metadata: AuditEvent['metadata'], clock: Clock) {
  return auditItem(
    {
      action: `gate.${gate.gate}`,
      subject: gate.customerId,
      actor: gate.customerId,
      reason: outcome,
      metadata: { ...gate.metadata, ...metadata },
    },
    clock,
  );
}

/**
 * Runs `decide` (the gate's checks, then the action), giving it `allowed` to build the audit item
 * of the allowed decision for its transaction. A refusal (an ApiError below 500) is audited with its
 * code, then thrown again; an audit write that fails is logged and does not change the answer. A
 * `decide` that succeeds without having built its `allowed` item is logged as an error (a bug).
 */
export async function auditedGate<T>(
  gate: Gate,
  clock: Clock,
  decide: (allowed: AllowGate) => Promise<T>,
): Promise<T> {
  let built = false;
  const allowed: AllowGate = (checks, metadata = {}) => {
    built = true;
    const why = Object.entries(checks)
      .map(([check, result]) => `${check}=${result}`)
      .join(',');
    return gateAuditItem(gate, 'allowed', { ...metadata, checks: why }, clock);
  };
  try {
    const result = await decide(allowed);
    if (!built) logger.error('gate allowed without its audit item', { gate: gate.gate });
    return result;
  } catch (error) {
    if (error instanceof ApiError && error.status < 500) {
      await auditGateRefusal(gate, error.code, error.param ? { param: error.param } : {}, clock);
    }
    throw error;
  }
}

/**
 * Audits one refusal of `gate` with its error `code` (and `metadata`), on its own, since nothing
 * else is written: for a gate that refuses outside `auditedGate` (the step-up gate, whose allowed
 * decisions the action it approves audits). A failed audit write is logged, never thrown.
 */
export async function auditGateRefusal(
  gate: Gate,
  code: string,
  metadata: AuditEvent['metadata'],
  clock: Clock,
): Promise<void> {
  await writeTransaction([gateAuditItem(gate, code, metadata, clock)]).catch((error: unknown) =>
    logger.error('gate audit write failed', { gate: gate.gate, error: error as Error }),
  );
}
