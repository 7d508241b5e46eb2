/**
 * The withdrawal reconciler (a scheduled job, infra/jobs.ts `withdrawal-reconciler`): a withdrawal
 * whose payout call threw after the withdrawal was recorded (a timeout, a crash, a lost answer)
 * stays `pending` with its debit standing. Past PAYOUT_TIMEOUT_MS the reconciler asks the processor
 * for the outcome it recorded under the payout's idempotency key (the withdrawal id) and settles:
 * - the processor paid: `paid`;
 * - it refused: `failed`, with the reversing credit in the same transaction;
 * - it never received that key: the payout never happened (the timeout is far above any request's
 *   life, so none is still on its way): `failed` (`payout_not_received`), reversed likewise.
 * A processor that cannot answer (down, or an adapter without `payoutOutcome`) leaves it `pending`
 * for the next run. Nothing here pays out: a run can be repeated or run concurrently; each
 * withdrawal is settled once (./payout-settle.ts). Pending withdrawals are read by a Query on the
 * gsi1 partition `WITHDRAWALS#PENDING`, older than the timeout: never a Scan.
 */
import type { Clock } from '../lib/clock.ts';
import { fromItem, tableName } from '../lib/dynamodb.ts';
import { logger } from '../lib/logger.ts';
import { GSI1 } from '../lib/tables.ts';
import { queryAll } from '../lib/transactions.ts';
import type { CardProcessor } from '../payments/processor.ts';
import { PENDING_WITHDRAWALS_PK, settlePayout, type WithdrawalRecord } from './payout-settle.ts';

/**
 * How long a withdrawal may stay `pending` before the reconciler settles it: far above the
 * withdrawal function's timeout (its payout call cannot still be in flight).
 */
export const PAYOUT_TIMEOUT_MS = 15 * 60_000;

export interface ReconcileResult {
  paid: number;
  reversed: number;
  /** Still pending: the processor could not tell (down, or no lookup), or too recent. */
  left: number;
}

/** Settles every withdrawal pending for longer than PAYOUT_TIMEOUT_MS (see the module comment). */
export async function reconcileWithdrawals(processor: CardProcessor, clock: Clock): Promise<ReconcileResult> {
  const cutoff = new Date(clock.now().getTime() - PAYOUT_TIMEOUT_MS).toISOString();
  const items = await queryAll({
    TableName: tableName(),
    IndexName: GSI1,
    KeyConditionExpression: 'gsi1pk = :pk AND gsi1sk < :cutoff',
    ExpressionAttributeValues: { ':pk': PENDING_WITHDRAWALS_PK, ':cutoff': cutoff },
  });
  const result: ReconcileResult = { paid: 0, reversed: 0, left: 0 };
  for (const item of items) {
    const record = fromItem<WithdrawalRecord>(item);
    try {
      const settled = await settleOne(record, processor, clock);
      if (settled === 'paid') result.paid += 1;
      else if (settled === 'failed') result.reversed += 1;
      else if (settled === 'left') result.left += 1;
    } catch (error) {
      // Left pending: the next run asks again.
      logger.error('withdrawal reconciler: not settled', { withdrawalId: record.id, error: error as Error });
      result.left += 1;
    }
  }
  return result;
}

async function settleOne(record: WithdrawalRecord, processor: CardProcessor, clock: Clock) {
  if (!processor.payoutOutcome) return 'left' as const;
  const outcome = await processor.payoutOutcome(record.id);
  if (outcome?.status === 'succeeded') return settlePayout(record, outcome, clock);
  return settlePayout(record, { status: 'failed', reason: outcome?.code ?? 'payout_not_received' }, clock);
}
