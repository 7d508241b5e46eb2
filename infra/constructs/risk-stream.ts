import { Duration, Validations } from 'aws-cdk-lib';
import { FilterCriteria, FilterRule, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { MAIN_TABLE } from '../../functions/lib/tables.ts';
import { CARRIED_ATTRIBUTE } from '../../functions/monitoring/staged.ts';
import { type AccessContext, accessFunction, type FunctionStack, functionStack } from './access.ts';
import type { TesseraFunction } from './function.ts';
import type { Monitoring } from './monitoring.ts';
import { deadLetterQueue, grantQueueKey } from './queues.ts';

/**
 * Account monitoring's asynchronous rules (functions/monitoring/stream.ts): a consumer of the main
 * table's stream, filtered to the item types it reads (risk aggregates, risk decisions and audit
 * records) and to inserted items carrying a checkout's risk decision, with
 * partial batch failures, bisection on error, three retries and an SQS on-failure destination whose
 * depth alarms.
 */
export class RiskStream extends Construct {
  readonly fn: TesseraFunction;
  readonly deadLetterQueue: Queue;
  /** The nested stack of the consumer function. */
  readonly functions: FunctionStack;

  constructor(scope: Construct, id: string, props: { access: AccessContext }) {
    super(scope, id);
    const { access } = props;
    const where = functionStack(
      this,
      'Functions',
      `Tessera ${access.stage}: account monitoring stream`,
      access.stage,
    );
    this.functions = where;
    this.deadLetterQueue = deadLetterQueue(
      this,
      'Dlq',
      `tessera-${access.stage}-risk-stream-dlq`,
      access.keys.ops,
    );
    Validations.of(this.deadLetterQueue).acknowledge(
      {
        id: 'Serverless-SQSRedrivePolicy',
        reason:
          "This queue is the stream consumer's on-failure destination (a DLQ); a redrive target for it would " +
          'only move the same records one hop further. Its depth alarm (Monitoring) is the safety net instead.',
      },
      {
        id: 'AwsSolutions-SQS3',
        reason:
          "This queue IS a dead-letter queue: the stream event source mapping's on-failure destination and the " +
          "consumer function's DeadLetterConfig. The rule only recognises an SQS redrive policy as DLQ use.",
      },
    );
    this.fn = accessFunction(
      where,
      'riskStream',
      {
        entry: 'functions/monitoring/stream-handler.ts',
        handler: 'monitorStream',
        description: 'Account monitoring: rules across entities on the main table stream; raises flags.',
        // Reads aggregates and audit records from the stream; writes flags and their audit.
        access: { main: 'readwrite' },
        deadLetterQueue: this.deadLetterQueue,
        timeout: Duration.seconds(60),
      },
      access,
    );
    const table = access.data.table(MAIN_TABLE);
    this.fn.addEventSource(
      new DynamoEventSource(table, {
        startingPosition: StartingPosition.LATEST,
        batchSize: 100,
        // No batching window: checkouts reach the velocity counts through here (their decisions
        // carry their aggregate additions), so a record is applied as soon as the poll sees it.
        bisectBatchOnError: true,
        retryAttempts: 3,
        reportBatchItemFailures: true,
        onFailure: new SqsDlq(this.deadLetterQueue),
        filters: [
          FilterCriteria.filter({
            eventName: FilterRule.or('INSERT', 'MODIFY'),
            // riskDecision: records staged before ADR 0030 carry their aggregate additions.
            dynamodb: { NewImage: { type: { S: FilterRule.or('riskAggregate', 'riskDecision', 'audit') } } },
          }),
          // A checkout's decision riding on its approval (functions/monitoring/staged.ts), taken
          // when the approval is inserted: the filter needs a leaf, the decision's id.
          FilterCriteria.filter({
            eventName: FilterRule.isEqual('INSERT'),
            dynamodb: { NewImage: { [CARRIED_ATTRIBUTE]: { M: { id: { S: FilterRule.exists() } } } } },
          }),
        ],
      }),
    );
    table.grantStreamRead(this.fn.executionRole);
    // The on-failure destination is KMS-encrypted: the function sends to it through SQS.
    grantQueueKey(this.fn.executionRole, this.deadLetterQueue);
  }

  watch(monitoring: Monitoring): void {
    monitoring.watchFunction('RiskStream', this.fn);
    monitoring.watchDeadLetterQueue('RiskStreamDlq', this.deadLetterQueue);
  }
}
