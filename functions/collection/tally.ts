import type { SQSRecord } from 'aws-lambda';
import { MAX_RECEIVES } from '../lib/queue.ts';
import type { CollectOutcome } from '../orders/collection-face.ts';
import type { RenewalOutcome } from '../subscriptions/renewal.ts';
import type { RunReport } from './store.ts';

/** Run counters, as stored on the run record (`skipped.<reason>` per skip reason). */
export type Counts = Record<string, number>;

const bump = (counts: Record<string, number>, key: string, by = 1) => {
  counts[key] = (counts[key] ?? 0) + by;
};

/** Adds one installment's outcome to a run's counters. */
export function countOutcome(counts: Counts, outcome: CollectOutcome): void {
  if (outcome.charged) bump(counts, 'charged');
  if (outcome.reconciled) bump(counts, 'reconciled');
  if (outcome.result === 'paid') bump(counts, 'paid');
  // Paid in full from the customer's balance (no card charge), or partly from it (docs/adr/0027).
  if (outcome.result === 'paid' && outcome.source === 'balance') bump(counts, 'paidFromBalance');
  if (outcome.result === 'paid' && outcome.source === 'balance_and_card') bump(counts, 'paidBalanceAndCard');
  if (outcome.result === 'failed_soft') bump(counts, 'failedSoft');
  if (outcome.result === 'failed_hard') bump(counts, 'failedHard');
  if (outcome.retried) bump(counts, 'retried');
  if (outcome.fee) bump(counts, 'fees');
  if (outcome.refund) bump(counts, `refunds.${outcome.refund}`);
  if (outcome.result === 'skipped') bump(counts, `skipped.${outcome.reason ?? 'unknown'}`);
}

/** Per run id, so one SQS batch that mixes runs reports each to its own run (store.report). */
export class RunTally {
  readonly byRun = new Map<string, Required<RunReport>>();

  #of(runId: string): Required<RunReport> {
    let report = this.byRun.get(runId);
    if (!report) {
      report = { counts: {}, progress: {} };
      this.byRun.set(runId, report);
    }
    return report;
  }

  add(runId: string, key: string, by = 1): void {
    bump(this.#of(runId).counts, key, by);
  }

  outcome(runId: string, outcome: CollectOutcome): void {
    countOutcome(this.#of(runId).counts, outcome);
  }

  /** A subscription renewal: how it went, and its period's charge like any installment's. */
  renewal(runId: string, renewal: RenewalOutcome): void {
    const counts = this.#of(runId).counts;
    bump(counts, `renewals.${renewal.renewal}`);
    if (renewal.charge) countOutcome(counts, renewal.charge);
  }

  /** One message of the run done: `chargesDone` or `shardsDone`. */
  done(runId: string, key: 'chargesDone' | 'shardsDone', by = 1): void {
    const { progress } = this.#of(runId);
    progress[key] = (progress[key] ?? 0) + by;
  }
}

/** The run id of a message body that may not even parse (for counting a dead message). */
function runIdOf(body: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(body);
    const runId = (parsed as { runId?: unknown } | null)?.runId;
    return typeof runId === 'string' ? runId : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Wraps a record handler that returns the run id of the message it handled (undefined for a message
 * no run counts): the message is tallied done on success, and done with an error when it fails its
 * last delivery (MAX_RECEIVES, the redrive policy: it is now in the DLQ), then the failure is
 * rethrown for the partial batch response.
 */
export function countingDone(
  tally: RunTally,
  key: 'chargesDone' | 'shardsDone',
  handle: (record: SQSRecord) => Promise<string | undefined>,
): (record: SQSRecord) => Promise<void> {
  return async (record) => {
    try {
      const runId = await handle(record);
      if (runId) tally.done(runId, key);
    } catch (error) {
      const runId = runIdOf(record.body);
      if (runId && Number(record.attributes.ApproximateReceiveCount ?? '1') >= MAX_RECEIVES) {
        tally.done(runId, key);
        tally.add(runId, 'errors');
      }
      throw error;
    }
  };
}
