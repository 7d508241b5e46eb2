/**
 * A decision on a verification, by the provider (signed callback) or by an operator (in_review
 * cases): the verification and the customer's identity head move together, audited, in one
 * transaction conditioned on what was read, so two deciders can never both win.
 */
import { auditItem } from '../lib/audit.ts';
import type { Clock } from '../lib/clock.ts';
import { DomainError } from '../lib/errors.ts';
import { type TransactItem, Transaction, writeTransaction } from '../lib/transactions.ts';
import { type IdentityDecision, identityConfig } from './policy.ts';
import * as store from './store.ts';

export interface Decision {
  decision: IdentityDecision;
  reasons: string[];
  /** `provider:<name>` or the operator's ARN. */
  actor: string;
  providerRef?: string;
}

/**
 * Applies `decision` to `record` (read just before) with `extra` items in the same transaction
 * (the callback's single-use event marker, named `event`). Throws conflict `concurrent_update`
 * when the verification or the head changed meanwhile, or what `onEventLost` says when the event
 * marker was already there (a replay).
 */
export async function decide(
  record: store.VerificationRecord,
  decision: Decision,
  clock: Clock,
  extra: { event?: TransactItem; onEventLost?: () => Error } = {},
): Promise<store.VerificationRecord> {
  const now = clock.now();
  const at = now.toISOString();
  const verified = decision.decision === 'verified';
  const expiresAt = verified
    ? new Date(now.getTime() + identityConfig().verificationTtlMs).toISOString()
    : undefined;
  // The pending period's expiry ends with the decision; only `verified` carries its own.
  const { expiresAt: _pendingUntil, ...decided } = record;
  const next: store.VerificationRecord = {
    ...decided,
    status: decision.decision,
    reasons: decision.reasons,
    decidedAt: at,
    decidedBy: decision.actor,
    ...(decision.providerRef ? { providerRef: decision.providerRef } : {}),
    ...(expiresAt ? { expiresAt } : {}),
    version: record.version + 1,
  };
  const tx = new Transaction<'event' | 'verification' | 'head' | 'audit'>();
  if (extra.event) tx.add('event', extra.event);
  tx.add('verification', store.decideVerificationItem(record, next));
  const head = await store.getHead(record.customerId);
  // A newer verification of the same customer owns the head: this one changes only itself.
  if (head?.verificationId === record.id) {
    tx.add(
      'head',
      store.putHeadItem(
        {
          customerId: record.customerId,
          verificationId: record.id,
          status: next.status,
          ...(verified ? { verifiedAt: at } : {}),
          ...(expiresAt ? { expiresAt } : {}),
          version: head.version + 1,
        },
        head.version,
      ),
    );
  }
  tx.add(
    'audit',
    auditItem(
      {
        action: 'identity.verification_decided',
        subject: record.customerId,
        actor: decision.actor,
        reason: decision.decision,
        metadata: { verificationId: record.id, reasons: decision.reasons.join(',') },
      },
      clock,
    ),
  );
  await tx.write(writeTransaction, (cancelled) =>
    cancelled.lost('event') && extra.onEventLost
      ? extra.onEventLost()
      : new DomainError('conflict', 'concurrent_update', 'The verification changed meanwhile; retry.'),
  );
  return next;
}
