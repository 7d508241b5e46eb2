/**
 * The charger: SQS consumer of the charge queue, one message per installment. Partial batch
 * failures (Powertools batch): a message that throws is reported in `batchItemFailures` and
 * redelivered by SQS, then dead-lettered; the others are deleted. The only function outside the
 * vault that may detokenize a card (its IAM grants, infra/jobs.ts): it charges what collection runs
 * find due and what capture and payoff claimed (`action: 'charge'`).
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { clock } from '../lib/clock.ts';
import {
  chargeClaimedInstallment,
  collectInstallment,
  remindInstallment,
} from '../orders/collection-face.ts';
import { cardProcessor } from '../payments/processor.ts';
import { renewSubscription, subscriptionChargeOutcome } from '../subscriptions/renewal.ts';
import { ChargeMessage } from './schema.ts';
import * as store from './store.ts';
import { countingDone, RunTally } from './tally.ts';

export async function chargeInstallments(event: SQSEvent, context?: Context): Promise<SQSBatchResponse> {
  const tally = new RunTally();
  const handle = async (record: SQSRecord): Promise<string | undefined> => {
    const message = ChargeMessage.parse(JSON.parse(record.body));
    if (message.action === 'charge') {
      // Claimed by a capture, a payoff or a customer-token order: no run counts it.
      const outcome = await chargeClaimedInstallment(message, cardProcessor(), clock());
      await subscriptionChargeOutcome(outcome, clock());
      return undefined;
    }
    if (message.action === 'renew') {
      const renewal = await renewSubscription(message, message.asOf, cardProcessor(), clock());
      tally.renewal(message.runId, renewal);
      return message.runId;
    }
    if (message.action === 'remind') {
      if (await remindInstallment(message, message.asOf, clock())) tally.add(message.runId, 'reminders');
      return message.runId;
    }
    const outcome = await collectInstallment(message, message.asOf, cardProcessor(), clock());
    // A subscription's period in dunning: its outcome goes back to the subscription.
    await subscriptionChargeOutcome(outcome, clock());
    tally.outcome(message.runId, outcome);
    return message.runId;
  };
  // In parallel: two installments on one card race for its attempt window; the loser throws and is
  // redelivered (a partial batch failure), nothing is charged twice.
  const response = await processPartialResponse(
    event,
    countingDone(tally, 'chargesDone', handle),
    new BatchProcessor(EventType.SQS),
    { ...(context ? { context } : {}), throwOnFullBatchFailure: false },
  );
  // One counter write per run per batch, not per installment.
  for (const [runId, add] of tally.byRun) await store.report(runId, add, clock().now());
  return response;
}
