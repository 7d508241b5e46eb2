/**
 * A withdrawal's payout outcome recorded exactly once: `pending -> paid`, or `pending -> failed`
 * with the reversing ledger entry in the SAME transaction (so a crash between the two cannot leave a
 * failed withdrawal whose money never came back, nor a reversal on a withdrawal still `pending`).
 * Used by the withdrawal itself (./withdraw.ts) and by the reconciler of withdrawals whose payout
 * answer was lost (./reconcile.ts). While `pending`, a withdrawal is indexed in gsi1 under
 * `WITHDRAWALS#PENDING` by creation time, so the reconciler finds it with a Query, never a Scan.
 */
import type { Clock } from '../lib/clock.ts';
import { tableName } from '../lib/dynamodb.ts';
import { type TransactItem, Transaction, writeUnlessCancelled } from '../lib/transactions.ts';
import { post } from './ledger.ts';
import type { WithdrawalResponse } from './schema.ts';

export const PENDING_WITHDRAWALS_PK = 'WITHDRAWALS#PENDING';

/** The gsi1 attributes of a pending withdrawal (removed once it is settled). */
export const pendingIndex = (record: { id: string; createdAt: string }) => ({
  gsi1pk: PENDING_WITHDRAWALS_PK,
  gsi1sk: `${record.createdAt}#${record.id}`,
});

export type WithdrawalRecord = WithdrawalResponse & { customerId: string };

/** `pending -> status`, out of the pending index; lost when it is no longer `pending`. */
function statusItem(record: WithdrawalRecord, status: 'paid' | 'failed', reason?: string): TransactItem {
  return {
    Update: {
      TableName: tableName(),
      Key: { pk: `BALANCE#${record.customerId}`, sk: `WITHDRAWAL#${record.id}` },
      UpdateExpression: `SET #status = :to${reason ? ', failureCode = :why' : ''} REMOVE gsi1pk, gsi1sk`,
      ConditionExpression: '#status = :pending',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':to': status,
        ':pending': 'pending',
        ...(reason ? { ':why': reason } : {}),
      },
    },
  };
}

class SettledBefore extends Error {}

/**
 * Records the payout's outcome: `paid`, or `failed` (with `reason`, e.g. the decline code) with the
 * reversing credit (reason `withdrawal_reversal`, the withdrawal id as reference) in one transaction.
 * Returns `settled_before` when the withdrawal was no longer `pending` (nothing written).
 */
export async function settlePayout(
  record: WithdrawalRecord,
  outcome: { status: 'succeeded' } | { status: 'failed'; reason: string },
  clock: Clock,
): Promise<'paid' | 'failed' | 'settled_before'> {
  if (outcome.status === 'succeeded') {
    return (await writeUnlessCancelled([statusItem(record, 'paid')])) ? 'paid' : 'settled_before';
  }
  const reversal = {
    customerId: record.customerId,
    currency: record.currency,
    amount: record.amount,
    reason: 'withdrawal_reversal' as const,
    reference: record.id,
  };
  try {
    const entry = await post(reversal, clock, {
      with: () =>
        new Transaction<'withdrawal'>().add('withdrawal', statusItem(record, 'failed', outcome.reason)),
      onCancel: (cancelled) => (cancelled.lost('withdrawal') ? new SettledBefore() : undefined),
    });
    return entry ? 'failed' : 'settled_before';
  } catch (error) {
    if (error instanceof SettledBefore) return 'settled_before';
    throw error;
  }
}
