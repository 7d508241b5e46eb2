import { Duration, Stack } from 'aws-cdk-lib';
import type { RestApi } from 'aws-cdk-lib/aws-apigateway';
import { Alarm, ComparisonOperator, type IMetric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface MonitoringProps {
  stage: string;
  /** Encrypts the alarm topic; its policy must admit cloudwatch.amazonaws.com. */
  key: IKey;
}

/**
 * Alarms, all sent to one encrypted SNS topic (subscribe the on-call pager to it). Every alarm
 * fires on the first bad minute: in a payments API one failed request is worth a look.
 */
export class Monitoring extends Construct {
  readonly topic: Topic;
  readonly alarms: Alarm[] = [];
  private readonly stage: string;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    this.stage = props.stage;
    this.topic = new Topic(this, 'AlarmTopic', {
      displayName: `Tessera ${props.stage} alarms`,
      masterKey: props.key,
      enforceSSL: true,
    });
  }

  /**
   * Errors and throttles of one function. The alarms live in the function's own stack (a nested
   * capability stack), so they count against its resource budget, not the parent's.
   */
  watchFunction(name: string, fn: IFunction): void {
    const scope = new Construct(Stack.of(fn), `${name}Alarms`);
    this.alarm(scope, `${name}Errors`, fn.metricErrors({ period: Duration.minutes(1), statistic: 'Sum' }), {
      description: `${name} returned errors (uncaught exceptions or timeouts)`,
    });
    this.alarm(
      scope,
      `${name}Throttles`,
      fn.metricThrottles({ period: Duration.minutes(1), statistic: 'Sum' }),
      {
        description: `${name} was throttled (account or reserved concurrency exhausted)`,
      },
    );
  }

  /**
   * Any message in a dead-letter queue is a lost event until someone replays it. A queue in a
   * nested stack gets its alarm there, beside it, like a function's.
   */
  watchDeadLetterQueue(name: string, queue: IQueue): void {
    const home = Stack.of(queue);
    this.alarm(
      home === Stack.of(this) ? this : new Construct(home, `${name}Alarms`),
      `${name}Depth`,
      queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' }),
      { description: `${name} holds messages: failed asynchronous work waiting to be replayed` },
    );
  }

  /** 5XX answers of the API (the gateway's own and the handlers'). */
  watchApi(api: RestApi): void {
    this.alarm(this, 'Api5xx', api.metricServerError({ period: Duration.minutes(1), statistic: 'Sum' }), {
      description: 'The API answered 5XX',
    });
  }

  private alarm(scope: Construct, id: string, metric: IMetric, options: { description: string }): Alarm {
    const alarm = new Alarm(scope, id, {
      alarmName: `tessera-${this.stage}-${id}`,
      alarmDescription: options.description,
      metric,
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(new SnsAction(this.topic));
    alarm.addOkAction(new SnsAction(this.topic));
    this.alarms.push(alarm);
    return alarm;
  }
}
