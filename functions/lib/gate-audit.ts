/**
 * Audit of gate decisions (issue 11: "every gate decision, allowed or refused, and why"). A gate is
 * a check in front of money that leaves the platform or credit that is granted (KYC, account
 * flags, step-up, balance, rate). An allowed decision is audited in the same transaction as what it
 * allows; a refusal is audited on its own, since nothing else is written. Subjects and metadata are
 * ids and amounts only: no personal data in clear.
 */
import { type AuditEvent, auditItem } from './audit.ts';
import type { Clock } from './clock.ts';
import { ApiError } from './errors.ts';
import { logger } from './logger.ts';
import { type TransactItem, writeTransaction } from './transactions.ts';

export interface GateDecision {
  /** e.g. `withdrawal`, `credit_application`. */
  gate: string;
  customerId: string;
  /** `allowed`, or the error code that refused it. */
  outcome: string;
  metadata?: AuditEvent['metadata'];
}

/** The audit item of a gate decision (`gate.<gate>` with reason `<outcome>`). */
export function gateAuditItem(decision: GateDecision, clock: Clock): TransactItem {
  return auditItem(
    {
      action: `gate.${decision.gate}`,
      subject: decision.customerId,
      actor: decision.customerId,
      reason: decision.outcome,
      ...(decision.metadata ? { metadata: decision.metadata } : {}),
    },
    clock,
  );
}

/**
 * Runs `decide` (the gate checks); a refusal (an ApiError) is audited with its code, then thrown
 * again. An audit write that fails is logged and does not change the answer.
 */
export async function auditedGate<T>(
  decision: Omit<GateDecision, 'outcome'>,
  clock: Clock,
  decide: () => Promise<T>,
): Promise<T> {
  try {
    return await decide();
  } catch (error) {
    if (error instanceof ApiError && error.status < 500) {
      await writeTransaction([gateAuditItem({ ...decision, outcome: error.code }, clock)]).catch(
        (auditError: unknown) => logger.error('gate audit write failed', { error: auditError as Error }),
      );
    }
    throw error;
  }
}
