import { Duration, Validations } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { FilterCriteria, FilterRule, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { MAIN_TABLE } from '../../functions/lib/tables.ts';
import { type AccessContext, accessFunction, type FunctionStack, functionStack } from './access.ts';
import type { TesseraFunction } from './function.ts';
import type { Monitoring } from './monitoring.ts';
import { deadLetterQueue, grantQueueKey } from './queues.ts';

/**
 * The order events the merchant ledger enters (functions/settlements/feed.ts, LEDGER_EVENT_TYPES;
 * test/infra asserts the two agree).
 */
export const LEDGER_FEED_EVENT_TYPES = ['order.captured', 'order.refunded'] as const;

/**
 * The merchant ledger's feed: a function on the main table's stream, filtered to inserted webhook
 * events of the ledger's types, so it is invoked for captures and refunds only. Partial batch
 * failures are reported; a record still failing after its retries goes to the feed's DLQ (which
 * alarms) and is entered again by a redrive, harmlessly (entries are keyed by capture/refund id).
 */
export class LedgerFeed extends Construct {
  readonly functionStack: FunctionStack;
  readonly fn: TesseraFunction;
  readonly deadLetterQueue: Queue;

  constructor(scope: Construct, id: string, access: AccessContext) {
    super(scope, id);
    this.functionStack = functionStack(
      this,
      'Functions',
      `Tessera ${access.stage}: merchant ledger feed`,
      access.stage,
    );
    const { stack } = this.functionStack;
    this.deadLetterQueue = deadLetterQueue(
      stack,
      'Dlq',
      `tessera-${access.stage}-ledger-feed-dlq`,
      access.keys.ops,
    );
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'Serverless-SQSRedrivePolicy',
      reason:
        'This queue is itself the dead-letter queue of the ledger feed; a redrive target for it would only move ' +
        'the same records one hop further. Its depth alarm (Monitoring) is the safety net instead.',
    });
    this.fn = accessFunction(
      this.functionStack,
      'ledgerFeed',
      {
        entry: 'functions/settlements/feed-handler.ts',
        handler: 'recordLedgerEntries',
        description: 'ledger-feed: enters each capture and refund in the merchant ledger, exactly once.',
        access: { main: 'readwrite' },
        deadLetterQueue: this.deadLetterQueue,
        timeout: Duration.seconds(60),
      },
      access,
    );
    const streamArn = access.data.table(MAIN_TABLE).tableStreamArn;
    if (!streamArn) throw new Error('the main table has no stream');
    this.fn.executionRole.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'],
        resources: [streamArn],
      }),
    );
    // The on-failure destination is KMS-encrypted: the function sends to it through SQS.
    grantQueueKey(this.fn.executionRole, this.deadLetterQueue);
    this.fn.addEventSourceMapping('MainTableStream', {
      eventSourceArn: streamArn,
      startingPosition: StartingPosition.TRIM_HORIZON,
      batchSize: 100,
      bisectBatchOnError: true,
      retryAttempts: 10,
      reportBatchItemFailures: true,
      onFailure: new SqsDlq(this.deadLetterQueue),
      filters: [
        FilterCriteria.filter({
          eventName: FilterRule.isEqual('INSERT'),
          dynamodb: {
            NewImage: {
              type: { S: FilterRule.isEqual('webhookEvent') },
              eventType: { S: FilterRule.or(...LEDGER_FEED_EVENT_TYPES) },
            },
          },
        }),
      ],
    });
  }

  watch(monitoring: Monitoring): void {
    monitoring.watchDeadLetterQueue('LedgerFeedDlq', this.deadLetterQueue);
    monitoring.watchFunction('LedgerFeed', this.fn);
  }
}
