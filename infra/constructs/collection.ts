import { Duration, Stack, Validations } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, MathExpression, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { EventSourceMapping } from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { type IQueue, Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { MAX_RECEIVES } from '../../functions/lib/queue.ts';
import type { QueueConsumer } from '../jobs.ts';
import { type AccessContext, accessFunction, type FunctionStack, functionStack, pascal } from './access.ts';
import type { TesseraFunction } from './function.ts';
import type { Monitoring } from './monitoring.ts';
import { deadLetterQueue } from './queues.ts';

export type CollectionQueueName = QueueConsumer['queue'];

/**
 * The collection pipeline's queues (in the parent stack, so the API's admin route, the dispatcher
 * job and the workers can all reference them) and, once `addConsumers` runs, the functions that
 * consume them: the shard worker and the charger, each an SQS event source mapping with
 * ReportBatchItemFailures and a maximum concurrency. A message that fails MAX_RECEIVES deliveries
 * goes to its queue's DLQ, which alarms; so does a failure rate above 10% on the charge queue.
 */
export class Collection extends Construct {
  readonly queues: ReadonlyMap<CollectionQueueName, Queue>;
  readonly deadLetterQueues: ReadonlyMap<CollectionQueueName, Queue>;
  readonly functions = new Map<string, TesseraFunction>();
  private readonly stage: string;
  /** The nested stack of the consumer functions (once there are any). */
  workers?: FunctionStack;

  constructor(
    scope: Construct,
    id: string,
    props: { stage: string; consumers: readonly QueueConsumer[]; key: IKey },
  ) {
    super(scope, id);
    this.stage = props.stage;
    const queues = new Map<CollectionQueueName, Queue>();
    const dlqs = new Map<CollectionQueueName, Queue>();
    for (const consumer of props.consumers) {
      const name = consumer.queue;
      const dlq = deadLetterQueue(
        this,
        `${pascal(name)}Dlq`,
        `tessera-${props.stage}-${name}-dlq`,
        props.key,
      );
      Validations.of(dlq).acknowledge({
        id: 'Serverless-SQSRedrivePolicy',
        reason:
          `This queue is itself the dead-letter queue of ${name}; a redrive target for it would only move the ` +
          'same messages one hop further. Its depth alarm (Monitoring) is the safety net instead.',
      });
      dlqs.set(name, dlq);
      queues.set(
        name,
        new Queue(this, pascal(name), {
          queueName: `tessera-${props.stage}-${name}`,
          encryption: QueueEncryption.SQS_MANAGED,
          enforceSSL: true,
          // AWS's advice for Lambda event sources: at least six times the consumer's timeout.
          visibilityTimeout: Duration.seconds(consumer.timeoutSeconds * 6),
          retentionPeriod: Duration.days(4),
          deadLetterQueue: { queue: dlq, maxReceiveCount: MAX_RECEIVES },
        }),
      );
    }
    this.queues = queues;
    this.deadLetterQueues = dlqs;
  }

  queue(name: CollectionQueueName): IQueue {
    const queue = this.queues.get(name);
    if (!queue) throw new Error(`no collection queue ${name}`);
    return queue;
  }

  /** The consumer functions, with the same least-privilege grants as routes and jobs. */
  addConsumers(consumers: readonly QueueConsumer[], access: AccessContext): void {
    if (consumers.length === 0) return;
    this.workers ??= functionStack(this, 'Workers', `Tessera ${this.stage}: collection workers`, this.stage);
    for (const consumer of consumers) {
      const id = `${pascal(consumer.name)[0]?.toLowerCase()}${pascal(consumer.name).slice(1)}`;
      const fn = accessFunction(
        this.workers,
        id,
        {
          entry: consumer.entry,
          handler: consumer.handler,
          description: `${consumer.name}: ${consumer.description}`,
          access: consumer.access,
          deadLetterQueue: this.deadLetterQueues.get(consumer.queue) ?? this.queue(consumer.queue),
          timeout: Duration.seconds(consumer.timeoutSeconds),
          reservedConcurrency: consumer.maxConcurrency,
        },
        access,
      );
      fn.addEventSource(
        new SqsEventSource(this.queue(consumer.queue), {
          batchSize: 10,
          reportBatchItemFailures: true,
          maxConcurrency: consumer.maxConcurrency,
        }),
      );
      for (const mapping of fn.node.findAll().filter((c) => c instanceof EventSourceMapping)) {
        Validations.of(mapping).acknowledge({
          id: 'Serverless-LambdaEventSourceMappingDestination',
          reason:
            'An SQS event source mapping takes no on-failure destination (Lambda supports those for streams and ' +
            `Kafka only); a message that fails ${MAX_RECEIVES} deliveries goes to the queue's own dead-letter queue ` +
            '(its redrive policy), whose depth alarms.',
        });
      }
      this.functions.set(consumer.name, fn);
    }
  }

  /** DLQ depth of every queue, and the share of charge messages that failed a delivery. */
  watch(monitoring: Monitoring): void {
    for (const [name, dlq] of this.deadLetterQueues)
      monitoring.watchDeadLetterQueue(`${pascal(name)}Dlq`, dlq);
    for (const [name, fn] of this.functions) monitoring.watchFunction(pascal(name), fn);
    const charges = this.queues.get('collection-charges');
    if (!charges) return;
    const period = Duration.minutes(5);
    const rate = new MathExpression({
      expression: 'IF(received > 0, 100 * (received - deleted) / received, 0)',
      usingMetrics: {
        received: charges.metricNumberOfMessagesReceived({ period, statistic: 'Sum' }),
        deleted: charges.metricNumberOfMessagesDeleted({ period, statistic: 'Sum' }),
      },
      period,
      label: 'Charge messages failed (%)',
    });
    const alarm = new Alarm(Stack.of(charges) === Stack.of(this) ? this : charges, 'ChargeFailureRate', {
      alarmName: `tessera-${this.stage}-CollectionChargeFailureRate`,
      alarmDescription:
        'More than 10% of charge messages failed a delivery (redelivered or dead-lettered) for 3 of 5 periods',
      metric: rate,
      threshold: 10,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 5,
      datapointsToAlarm: 3,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(new SnsAction(monitoring.topic));
    alarm.addOkAction(new SnsAction(monitoring.topic));
    monitoring.alarms.push(alarm);
  }
}
