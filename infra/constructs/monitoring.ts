import { Duration, Stack, Validations } from 'aws-cdk-lib';
import type { Method, RestApi } from 'aws-cdk-lib/aws-apigateway';
import {
  Alarm,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
  MathExpression,
  Metric,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Rule } from 'aws-cdk-lib/aws-events';
import { SnsTopic as SnsTopicTarget } from 'aws-cdk-lib/aws-events-targets';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription, UrlSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue, Queue } from 'aws-cdk-lib/aws-sqs';
import type { CfnWebACL } from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { METRIC_NAMESPACE, type MetricName } from '../../functions/lib/metrics.ts';
import { deadLetterQueue } from './queues.ts';

export interface MonitoringProps {
  stage: string;
  /** Encrypts the alarm topic; its policy must admit cloudwatch.amazonaws.com. */
  key: IKey;
  /**
   * Who receives the alarms: email addresses and https:// endpoints (a pager's webhook), from the
   * `alarmSubscribers` context. At least one: an alarm nobody receives is no alarm.
   */
  subscribers: readonly string[];
}

/** Thresholds of the security alarms, per 5 minutes, per stage (prod traffic is larger). */
export interface SecurityThresholds {
  /** WAF blocked requests. */
  wafBlocked: number;
  /** Share of API answers that are 4XX, in percent, once there are at least `minRequests`. */
  clientErrorPercent: number;
  minRequests: number;
  /** Customer sign-in lockouts. */
  signInLockouts: number;
  /** Failed 2FA checks (codes, TOTP, recovery codes). */
  twoFactorFailures: number;
}

/**
 * Alarms, all sent to one encrypted SNS topic (subscribe the on-call pager to it). Every alarm
 * fires on the first bad minute: in a payments API one failed request is worth a look.
 */
export class Monitoring extends Construct {
  readonly topic: Topic;
  /**
   * What the topic or an EventBridge rule could not deliver (a bouncing endpoint, a key problem):
   * kept 14 days, its depth alarmed; docs/runbook.md says how to read and replay it.
   */
  readonly deliveryDlq: Queue;
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
    if (props.subscribers.length === 0) {
      throw new Error(
        'no alarm subscriber: set the alarmSubscribers context (an email or an https:// endpoint)',
      );
    }
    this.deliveryDlq = deadLetterQueue(
      this,
      'AlarmDeliveryDlq',
      `tessera-${props.stage}-alarm-delivery-dlq`,
      props.key,
    );
    Validations.of(this.deliveryDlq).acknowledge(
      {
        id: 'AwsSolutions-SQS3',
        reason:
          'This queue IS a dead-letter queue: the SNS subscriptions (RedrivePolicy) and the EventBridge targets ' +
          '(DeadLetterConfig) of the alarm topic name it (asserted in test/infra); the rule only recognises SQS ' +
          'redrive policies.',
      },
      {
        id: 'Serverless-SQSRedrivePolicy',
        reason:
          'This queue is itself the dead-letter queue of alarm deliveries (SNS subscriptions, EventBridge ' +
          'targets); a redrive target would only move the same messages one hop further. Its depth alarms.',
      },
    );
    const dlq = this.deliveryDlq;
    for (const subscriber of props.subscribers) {
      if (/^https:\/\/[^\s]+$/.test(subscriber)) {
        this.topic.addSubscription(new UrlSubscription(subscriber, { deadLetterQueue: dlq }));
      } else if (/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(subscriber)) {
        this.topic.addSubscription(new EmailSubscription(subscriber, { deadLetterQueue: dlq }));
      } else
        throw new Error(`alarm subscriber "${subscriber}" is neither an email address nor an https:// URL`);
    }
  }

  /** A counter of functions/lib/metrics.ts, summed per 5 minutes. */
  counter(name: MetricName): Metric {
    return new Metric({
      namespace: METRIC_NAMESPACE,
      metricName: name,
      dimensionsMap: { service: 'tessera', stage: this.stage },
      statistic: 'Sum',
      period: Duration.minutes(5),
    });
  }

  /**
   * The security alarms: WAF blocks, 4XX surges, sign-in lockouts, 2FA failure bursts, any failed
   * detokenization, any high-severity risk flag and any dead webhook delivery (the counters of
   * functions/lib/metrics.ts).
   */
  watchSecurity(api: RestApi, webAcl: CfnWebACL, thresholds: SecurityThresholds): void {
    const period = Duration.minutes(5);
    const over = (id: string, metric: IMetric, threshold: number, description: string) =>
      this.alarm(this, id, metric, { description, threshold });
    over(
      'WafBlockedRate',
      new Metric({
        namespace: 'AWS/WAFV2',
        metricName: 'BlockedRequests',
        dimensionsMap: { WebACL: webAcl.name ?? '', Region: Stack.of(this).region, Rule: 'ALL' },
        statistic: 'Sum',
        period,
      }),
      thresholds.wafBlocked,
      `WAF blocked more than ${thresholds.wafBlocked} requests in 5 minutes: an attack or a broken client`,
    );
    over(
      'Api4xxSurge',
      new MathExpression({
        expression: `IF(requests >= ${thresholds.minRequests}, 100 * errors / requests, 0)`,
        usingMetrics: {
          requests: api.metricCount({ period, statistic: 'Sum' }),
          errors: api.metricClientError({ period, statistic: 'Sum' }),
        },
        period,
        label: 'API 4XX answers (%)',
      }),
      thresholds.clientErrorPercent,
      `More than ${thresholds.clientErrorPercent}% of API answers were 4XX: credential stuffing, enumeration or a broken client`,
    );
    over(
      'SignInLockouts',
      this.counter('SignInLocked'),
      thresholds.signInLockouts,
      'Customer accounts were locked after failed sign-ins: a password-guessing burst',
    );
    over(
      'TwoFactorFailureBurst',
      this.counter('TwoFactorFailed'),
      thresholds.twoFactorFailures,
      'A burst of failed 2FA checks: someone is guessing codes',
    );
    over(
      'DetokenizeFailures',
      this.counter('DetokenizeFailed'),
      0,
      'A card could not be decrypted: vault key access changed, or a record was tampered with',
    );
    over(
      'RiskHighSeverityFlags',
      this.counter('RiskFlagRaisedHigh'),
      0,
      'Account monitoring raised a high-severity flag (the account cannot withdraw): review it at /v1/admin/flags',
    );
    over(
      'WebhookDeadDeliveries',
      this.counter('WebhookDeliveryDead'),
      0,
      "A webhook delivery exhausted its attempts (dead): replay it once the merchant's endpoint answers",
    );
  }

  /**
   * Changes to what guards card data, from CloudTrail through EventBridge, to the alarm topic: the
   * vault key's policy, state or grants, and the policies or trust of the card-data roles (their
   * names start with `roleNamePrefix`). IAM is global: its events reach EventBridge in us-east-1
   * only, so the role rule fires where the stack runs in us-east-1 (docs/runbook.md).
   */
  watchCardDataChanges(vaultKey: IKey, roleNamePrefix: string): void {
    new Rule(this, 'CardDataKeyChanged', {
      ruleName: `tessera-${this.stage}-card-data-key-changed`,
      description: 'The vault key policy, state or grants changed',
      eventPattern: {
        source: ['aws.kms'],
        detailType: ['AWS API Call via CloudTrail'],
        detail: {
          eventSource: ['kms.amazonaws.com'],
          eventName: [
            'PutKeyPolicy',
            'CreateGrant',
            'RetireGrant',
            'RevokeGrant',
            'DisableKey',
            'ScheduleKeyDeletion',
            'DisableKeyRotation',
            'UpdateAlias',
            'DeleteAlias',
          ],
          requestParameters: { keyId: [vaultKey.keyArn, vaultKey.keyId] },
        },
      },
      targets: [this.ruleTarget()],
    });
    new Rule(this, 'CardDataRoleChanged', {
      ruleName: `tessera-${this.stage}-card-data-role-changed`,
      description: 'A policy or the trust of a card-data (vault) role changed',
      eventPattern: {
        source: ['aws.iam'],
        detailType: ['AWS API Call via CloudTrail'],
        detail: {
          eventSource: ['iam.amazonaws.com'],
          eventName: [
            'AttachRolePolicy',
            'DetachRolePolicy',
            'PutRolePolicy',
            'DeleteRolePolicy',
            'UpdateAssumeRolePolicy',
            'PutRolePermissionsBoundary',
            'DeleteRolePermissionsBoundary',
            'DeleteRole',
          ],
          requestParameters: { roleName: [{ prefix: roleNamePrefix }] },
        },
      },
      targets: [this.ruleTarget()],
    });
  }

  /** An EventBridge target: the alarm topic, undeliverable events kept in the delivery DLQ. */
  ruleTarget(): SnsTopicTarget {
    return new SnsTopicTarget(this.topic, { deadLetterQueue: this.deliveryDlq, retryAttempts: 10 });
  }

  /** The operations dashboard: checkout funnel, collection results, security events, API health. */
  addDashboard(
    api: RestApi,
    funnel: ReadonlyArray<{ label: string; method: Method }>,
    webAcl: CfnWebACL,
  ): Dashboard {
    const period = Duration.minutes(5);
    const methodCount = (method: Method) =>
      new Metric({
        namespace: 'AWS/ApiGateway',
        metricName: 'Count',
        dimensionsMap: {
          ApiName: api.restApiName,
          Method: method.httpMethod,
          Resource: method.resource.path,
          Stage: api.deploymentStage.stageName,
        },
        statistic: 'Sum',
        period,
      });
    const graph = (title: string, left: IMetric[]) => new GraphWidget({ title, left, width: 12, height: 6 });
    const dashboard = new Dashboard(this, 'Dashboard', { dashboardName: `tessera-${this.stage}` });
    dashboard.addWidgets(
      graph('Checkout funnel (requests per step)', [
        ...funnel.map(({ label, method }) => methodCount(method).with({ label })),
        this.counter('CheckoutAuthorized').with({ label: 'authorized (approved)' }),
      ]),
      graph('Collection results', [
        this.counter('ChargeSucceeded'),
        this.counter('ChargeDeclinedSoft'),
        this.counter('ChargeDeclinedHard'),
      ]),
    );
    dashboard.addWidgets(
      graph('Security events', [
        this.counter('SignInFailed'),
        this.counter('SignInLocked'),
        this.counter('TwoFactorFailed'),
        this.counter('TwoFactorLocked'),
        this.counter('RegistrationRefused'),
        this.counter('DetokenizeFailed'),
        this.counter('RiskFlagRaised'),
        this.counter('RiskFlagRaisedHigh'),
        new Metric({
          namespace: 'AWS/WAFV2',
          metricName: 'BlockedRequests',
          dimensionsMap: { WebACL: webAcl.name ?? '', Region: Stack.of(this).region, Rule: 'ALL' },
          statistic: 'Sum',
          period,
          label: 'WAF blocked',
        }),
      ]),
      graph('API answers', [
        api.metricCount({ period, statistic: 'Sum' }),
        api.metricClientError({ period, statistic: 'Sum' }),
        api.metricServerError({ period, statistic: 'Sum' }),
      ]),
    );
    dashboard.addWidgets(
      graph('Card data and webhooks', [this.counter('CardDetokenized'), this.counter('WebhookDeliveryDead')]),
    );
    return dashboard;
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

  private alarm(
    scope: Construct,
    id: string,
    metric: IMetric,
    options: { description: string; threshold?: number },
  ): Alarm {
    const alarm = new Alarm(scope, id, {
      alarmName: `tessera-${this.stage}-${id}`,
      alarmDescription: options.description,
      metric,
      threshold: options.threshold ?? 0,
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
