import { Annotations, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import type { Method } from 'aws-cdk-lib/aws-apigateway';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { VAULT_TABLE } from '../functions/lib/tables.ts';
import type { AccessContext } from './constructs/access.ts';
import { Api, type ApiLimits } from './constructs/api.ts';
import { Collection } from './constructs/collection.ts';
import { Data } from './constructs/data.ts';
import { Jobs } from './constructs/jobs.ts';
import { Keys } from './constructs/keys.ts';
import { Monitoring, type SecurityThresholds } from './constructs/monitoring.ts';
import { VaultNetwork } from './constructs/network.ts';
import { Notifications } from './constructs/notify.ts';
import { deadLetterQueue } from './constructs/queues.ts';
import { RiskStream } from './constructs/risk-stream.ts';
import { Secrets } from './constructs/secrets.ts';
import { SecurityBaseline } from './constructs/security-baseline.ts';
import { LedgerFeed } from './constructs/settlements.ts';
import { jobs as allJobs, type QueueConsumer, queueConsumers, type ScheduledJob } from './jobs.ts';
import { riskConfigEnvironment } from './risk-config.ts';
import { routes as allRoutes, type Route } from './routes/index.ts';
import { pageRoutes } from './routes/pages.ts';

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
  /** Who receives the alarms: email addresses and https:// endpoints (context `alarmSubscribers`). */
  alarmSubscribers?: readonly string[];
  /** The opt-in account-level security baseline; default: on in prod only (context `securityBaseline`). */
  securityBaseline?: boolean;
  /** Merchant methods require their usage-plan API key; default on (context `merchantApiKeys`). */
  merchantApiKeys?: boolean;
  /** The card processor; default `stripe` in prod, `sandbox` elsewhere (context `cardProcessor`). */
  cardProcessor?: 'sandbox' | 'stripe';
  /**
   * The CDE's controlled route to the card processor (Network Firewall + NAT, infra/constructs/egress.ts);
   * default: on where the processor is Stripe (context `processorEgress`, docs/adr/0026-processor-egress.md).
   */
  processorEgress?: boolean;
  /**
   * Account monitoring's rules, thresholds and weights for this stage (RISK_CONFIG, any subset of
   * functions/monitoring/config.ts), and where they came from (named in errors); default: the code's
   * defaults (context `riskConfig`, infra/risk-config.ts). Validated here: an invalid one fails synth.
   */
  riskConfig?: { config: unknown; source: string };
}

/** What differs per stage beyond the API limits: concurrency and the security alarm thresholds. */
const OPERATIONS: Record<Stage, { cdeReservedConcurrency: number; security: SecurityThresholds }> = {
  dev: {
    cdeReservedConcurrency: 5,
    security: {
      wafBlocked: 100,
      clientErrorPercent: 25,
      minRequests: 50,
      signInLockouts: 3,
      twoFactorFailures: 20,
    },
  },
  prod: {
    cdeReservedConcurrency: 50,
    security: {
      wafBlocked: 1_000,
      clientErrorPercent: 15,
      minRequests: 500,
      signInLockouts: 10,
      twoFactorFailures: 100,
    },
  },
};

/** Starting limits; per-merchant usage plans refine them. */
const LIMITS: Record<Stage, ApiLimits> = {
  dev: {
    rateLimit: 50,
    burstLimit: 100,
    dailyQuota: 100_000,
    wafRequestsPerIpPer5Min: 3_000,
    sensitive: { rateLimit: 5, burstLimit: 10, wafRequestsPerIpPer5Min: 100 },
    merchant: { rateLimit: 20, burstLimit: 40, dailyQuota: 50_000 },
  },
  prod: {
    rateLimit: 500,
    burstLimit: 1_000,
    dailyQuota: 5_000_000,
    wafRequestsPerIpPer5Min: 30_000,
    sensitive: { rateLimit: 25, burstLimit: 50, wafRequestsPerIpPer5Min: 300 },
    merchant: { rateLimit: 100, burstLimit: 200, dailyQuota: 1_000_000 },
  },
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
  /** Account monitoring's stream consumer (rules across entities). */
  readonly riskStream: RiskStream;
  /** The merchant ledger's stream consumer (captures and refunds). */
  readonly ledgerFeed: LedgerFeed;
  readonly monitoring: Monitoring;
  readonly deadLetterQueue: Queue;
  /** The cardholder data environment's network; exists once a route touches the vault. */
  vaultNetwork?: VaultNetwork;
  /** The account-level audit and detection services, when on for this stage. */
  readonly securityBaseline?: SecurityBaseline;

  constructor(scope: Construct, id: string, props: TesseraStackProps) {
    const {
      stage,
      routes,
      jobs,
      consumers = queueConsumers,
      notifyFromAddress,
      alarmSubscribers = ['oncall@tessera.example'],
      securityBaseline,
      merchantApiKeys = true,
      cardProcessor,
      processorEgress,
      riskConfig,
      ...stackProps
    } = props;
    super(scope, id, { description: `Tessera ${stage}: buy-now-pay-later payments backend`, ...stackProps });
    const prod = stage === 'prod';
    const logRetention = prod ? RetentionDays.ONE_YEAR : RetentionDays.ONE_MONTH;
    const logRemovalPolicy = prod ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    const processor = cardProcessor ?? (prod ? 'stripe' : 'sandbox');
    // Live mode (prod: merchants get sk_live_ keys) never runs on the sandbox processor. The functions
    // refuse it too (functions/payments/processor-config.ts), but only on their first charge: the
    // deploy is where an operator can still fix it (docs/adr/0015-production-card-processor.md).
    if (prod && processor === 'sandbox') {
      throw new Error(
        'Tessera-prod is live mode (sk_live_ merchant keys) and refuses to deploy with the sandbox card ' +
          'processor: drop -c cardProcessor=sandbox (prod uses stripe).',
      );
    }
    const egress = processorEgress ?? processor === 'stripe';
    const riskEnvironment = riskConfig && riskConfigEnvironment(riskConfig.config, riskConfig.source);
    if (processor === 'stripe' && !egress) {
      Annotations.of(this).addWarningV2(
        'tessera:processorEgress',
        'processorEgress is off: the CDE has no route to api.stripe.com. Provide your own (docs/runbook.md).',
      );
    }

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
    this.deadLetterQueue = deadLetterQueue(
      this,
      'FunctionsDlq',
      `tessera-${stage}-functions-dlq`,
      this.keys.ops,
    );
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
    this.collection = new Collection(this, 'Collection', { stage, consumers, key: this.keys.ops });
    const access: AccessContext = {
      stage,
      queues: (name) => this.collection.queue(name),
      data: this.data,
      keys: this.keys,
      secrets: this.secrets,
      notifications,
      logRetention,
      logRemovalPolicy,
      cardProcessor: processor,
      cdeReservedConcurrency: OPERATIONS[stage].cdeReservedConcurrency,
      ...(riskEnvironment === undefined ? {} : { riskConfig: riskEnvironment }),
      vaultNetwork: () => {
        this.vaultNetwork ??= new VaultNetwork(this, 'VaultNetwork', {
          stage,
          logKey: this.keys.ops,
          logRetention,
          logRemovalPolicy,
          processorEgress: egress,
          deleteProtection: prod,
        });
        return this.vaultNetwork;
      },
    };
    this.api = new Api(this, 'Api', {
      ...access,
      // The JSON API and the hosted pages (HTML) behind the same API (docs/adr/0023-hosted-pages.md).
      routes: routes ?? [...allRoutes, ...pageRoutes],
      deadLetterQueue: this.deadLetterQueue,
      limits: LIMITS[stage],
      merchantApiKeys,
    });
    this.jobs = new Jobs(this, 'Jobs', { ...access, jobs: jobs ?? allJobs });
    this.collection.addConsumers(consumers, access);
    // The main table's stream has two consumers, DynamoDB Streams' documented limit per shard.
    this.riskStream = new RiskStream(this, 'RiskStream', { access });
    this.ledgerFeed = new LedgerFeed(this, 'LedgerFeed', access);
    // Every vault-key grant is made by now: the key policy can name its holders.
    this.keys.restrictVaultKey();

    this.monitoring = new Monitoring(this, 'Monitoring', {
      stage,
      key: this.keys.ops,
      subscribers: alarmSubscribers,
    });
    for (const [operationId, fn] of this.api.functions) this.monitoring.watchFunction(operationId, fn);
    for (const fn of this.jobs.functions.values()) this.monitoring.watchFunction(fn.node.id, fn);
    this.monitoring.watchDeadLetterQueue('FunctionsDlq', this.deadLetterQueue);
    this.monitoring.watchDeadLetterQueue('JobsDlq', this.jobs.deadLetterQueue);
    this.monitoring.watchDeadLetterQueue('AlarmDeliveryDlq', this.monitoring.deliveryDlq);
    this.monitoring.watchApi(this.api.api);
    this.collection.watch(this.monitoring);
    this.riskStream.watch(this.monitoring);
    this.ledgerFeed.watch(this.monitoring);
    this.monitoring.watchSecurity(this.api.api, this.api.webAcl, OPERATIONS[stage].security);
    // CDE role names: `tessera-<stage>-<region>-<id>` (access.ts cdeRoleName).
    this.monitoring.watchCardDataChanges(this.keys.vault, `tessera-${stage}-`);
    this.monitoring.addDashboard(this.api.api, this.funnel(), this.api.webAcl);

    if (securityBaseline ?? prod) {
      this.securityBaseline = new SecurityBaseline(this, 'SecurityBaseline', {
        stage,
        vaultTable: this.data.table(VAULT_TABLE),
        vaultKey: this.keys.vault,
        logKey: this.keys.ops,
        logRetention,
        alarmTarget: this.monitoring.ruleTarget(),
      });
    }
  }

  /** The checkout funnel's steps, as API methods (those the route table has). */
  private funnel(): Array<{ label: string; method: Method }> {
    const steps: Array<[string, string]> = [
      ['checkout created', 'createCheckoutSession'],
      ['checkout authorized', 'authorizeCheckoutSession'],
      ['order created', 'createOrder'],
      ['order captured', 'captureOrder'],
    ];
    return steps.flatMap(([label, operationId]) => {
      const method = this.api.methods.get(operationId);
      return method ? [{ label, method }] : [];
    });
  }
}
