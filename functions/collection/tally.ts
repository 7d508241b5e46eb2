import type { CollectOutcome } from '../orders/collection-face.ts';

/** Run counters, as stored on the run record (`skipped.<reason>` per skip reason). */
export type Counts = Record<string, number>;

const bump = (counts: Counts, key: string, by = 1) => {
  counts[key] = (counts[key] ?? 0) + by;
};

/** Adds one installment's outcome to a run's counters. */
export function countOutcome(counts: Counts, outcome: CollectOutcome): void {
  if (outcome.charged) bump(counts, 'charged');
  if (outcome.reconciled) bump(counts, 'reconciled');
  if (outcome.result === 'paid') bump(counts, 'paid');
  if (outcome.result === 'failed_soft') bump(counts, 'failedSoft');
  if (outcome.result === 'failed_hard') bump(counts, 'failedHard');
  if (outcome.retried) bump(counts, 'retried');
  if (outcome.fee) bump(counts, 'fees');
  if (outcome.refund) bump(counts, `refunds.${outcome.refund}`);
  if (outcome.result === 'skipped') bump(counts, `skipped.${outcome.reason ?? 'unknown'}`);
}

/** Per run id, so one SQS batch that mixes runs reports each to its own run. */
export class RunTally {
  readonly byRun = new Map<string, Counts>();

  add(runId: string, key: string, by = 1): void {
    const counts = this.byRun.get(runId) ?? {};
    bump(counts, key, by);
    this.byRun.set(runId, counts);
  }

  outcome(runId: string, outcome: CollectOutcome): void {
    const counts = this.byRun.get(runId) ?? {};
    countOutcome(counts, outcome);
    this.byRun.set(runId, counts);
  }
}
