import { Duration, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { AccessContext } from './constructs/access.ts';
import { Api, type ApiLimits } from './constructs/api.ts';
import { Collection } from './constructs/collection.ts';
import { Data } from './constructs/data.ts';
import { Jobs } from './constructs/jobs.ts';
import { Keys } from './constructs/keys.ts';
import { Monitoring } from './constructs/monitoring.ts';
import { VaultNetwork } from './constructs/network.ts';
import { Notifications } from './constructs/notify.ts';
import { Secrets } from './constructs/secrets.ts';
import { LedgerFeed } from './constructs/settlements.ts';
import { jobs as allJobs, type QueueConsumer, queueConsumers, type ScheduledJob } from './jobs.ts';
import { routes as allRoutes, type Route } from './routes/index.ts';

export const STAGES = ['dev', 'prod'] as const;
export type Stage = (typeof STAGES)[number];

export interface TesseraStackProps extends StackProps {
  stage: Stage;
  /** Defaults to the route table; tests may pass their own. */
  routes?: readonly Route[];
  /** Defaults to the scheduled-job table; tests may pass their own. */
  jobs?: readonly ScheduledJob[];
  /** Defaults to the collection queue consumers; tests may pass their own. */
  consumers?: readonly QueueConsumer[];
  /** The SES identity email is sent from. */
  notifyFromAddress?: string;
}

/** Starting limits; per-merchant usage plans refine them. */
const LIMITS: Record<Stage, ApiLimits> = {
  dev: { rateLimit: 50, burstLimit: 100, dailyQuota: 100_000, wafRequestsPerIpPer5Min: 3_000 },
  prod: { rateLimit: 500, burstLimit: 1_000, dailyQuota: 5_000_000, wafRequestsPerIpPer5Min: 30_000 },
};

/**
 * Tessera as one deployable stack (functions sit in nested stacks per capability, see `Api`, and
 * one for the scheduled jobs, see `Jobs`),
 * environment-agnostic (no lookups), so `cdk synth` needs no AWS account. Data (tables, keys,
 * secrets) is always retained; logs are kept a year in prod (PCI DSS 10.7).
 */
export class TesseraStack extends Stack {
  readonly keys: Keys;
  readonly data: Data;
  readonly secrets: Secrets;
  readonly api: Api;
  readonly jobs: Jobs;
  readonly collection: Collection;
  readonly ledgerFeed: LedgerFeed;
  readonly monitoring: Monitoring;
  readonly deadLetterQueue: Queue;
  /** The cardholder data environment's network; exists once a route touches the vault. */
  vaultNetwork?: VaultNetwork;

  constructor(scope: Construct, id: string, props: TesseraStackProps) {
    const { stage, routes, jobs, consumers = queueConsumers, notifyFromAddress, ...stackProps } = props;
    super(scope, id, { description: `Tessera ${stage}: buy-now-pay-later payments backend`, ...stackProps });
    const prod = stage === 'prod';
    const logRetention = prod ? RetentionDays.ONE_YEAR : RetentionDays.ONE_MONTH;
    const logRemovalPolicy = prod ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    this.keys = new Keys(this, 'Keys', { stage });
    this.data = new Data(this, 'Data', { stage, vaultKey: this.keys.vault, dataKey: this.keys.data });
    this.secrets = new Secrets(this, 'Secrets', {
      stage,
      keys: { data: this.keys.data, vault: this.keys.vault },
    });
    const notifications = new Notifications(this, 'Notifications', {
      fromAddress: notifyFromAddress ?? 'no-reply@tessera.example',
    });

    // API functions are invoked synchronously, so this queue only ever receives failed async
    // invocations (a console test, a future event source); it still must exist and alarm.
    this.deadLetterQueue = new Queue(this, 'FunctionsDlq', {
      queueName: `tessera-${stage}-functions-dlq`,
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.deadLetterQueue).acknowledge(
      {
        id: 'Serverless-SQSRedrivePolicy',
        reason:
          'This queue is itself the dead-letter queue of the functions; a redrive target for it would only move ' +
          'the same messages one hop further. Its depth alarm (Monitoring) is the safety net instead.',
      },
      {
        id: 'AwsSolutions-SQS3',
        reason:
          'This queue IS a dead-letter queue: every API function names it in its DeadLetterConfig (asserted in ' +
          'test/infra). The rule only recognises DLQ use within one template, and the functions live in nested ' +
          'capability stacks where the queue ARN arrives as a parameter.',
      },
    );

    // Before the functions that send to them (the admin route, the dispatcher job).
    this.collection = new Collection(this, 'Collection', { stage, consumers });
    const access: AccessContext = {
      stage,
      queues: (name) => this.collection.queue(name),
      data: this.data,
      keys: this.keys,
      secrets: this.secrets,
      notifications,
      logRetention,
      logRemovalPolicy,
      vaultNetwork: () => {
        this.vaultNetwork ??= new VaultNetwork(this, 'VaultNetwork', {
          stage,
          logKey: this.keys.ops,
          logRetention,
          logRemovalPolicy,
        });
        return this.vaultNetwork;
      },
    };
    this.api = new Api(this, 'Api', {
      ...access,
      routes: routes ?? allRoutes,
      deadLetterQueue: this.deadLetterQueue,
      limits: LIMITS[stage],
    });
    this.jobs = new Jobs(this, 'Jobs', { ...access, jobs: jobs ?? allJobs });
    this.collection.addConsumers(consumers, access);
    this.ledgerFeed = new LedgerFeed(this, 'LedgerFeed', access);
    // Every vault-key grant is made by now: the key policy can name its holders.
    this.keys.restrictVaultKey();

    this.monitoring = new Monitoring(this, 'Monitoring', { stage, key: this.keys.ops });
    for (const [operationId, fn] of this.api.functions) this.monitoring.watchFunction(operationId, fn);
    for (const fn of this.jobs.functions.values()) this.monitoring.watchFunction(fn.node.id, fn);
    this.monitoring.watchDeadLetterQueue('FunctionsDlq', this.deadLetterQueue);
    this.monitoring.watchDeadLetterQueue('JobsDlq', this.jobs.deadLetterQueue);
    this.monitoring.watchApi(this.api.api);
    this.collection.watch(this.monitoring);
    this.ledgerFeed.watch(this.monitoring);
  }
}
