import type { RouteAccess } from './routes/index.ts';

/**
 * THE scheduled-job table, read by the CDK jobs construct (EventBridge Scheduler) and by the local
 * scheduler, like infra/routes/ is for HTTP. A job's handler receives `{ asOf?: string }` (`{}`
 * from EventBridge Scheduler).
 */
export interface ScheduledJob {
  name: string;
  /** EventBridge Scheduler expression, e.g. `cron(0 6 * * ? *)` or `rate(1 hour)`. */
  schedule: string;
  /** IANA time zone a cron expression is read in (EventBridge Scheduler's ScheduleExpressionTimezone). */
  timeZone?: string;
  /** How often the local scheduler runs it (time is compressed locally). */
  localEveryMs: number;
  entry: string;
  handler: string;
  description: string;
  /** Least-privilege grants for the job's function, exactly as for a route. */
  access: RouteAccess;
  /** The function's timeout; leave room beyond the job's own time budget. */
  timeoutSeconds: number;
}

export const jobs: ScheduledJob[] = [
  {
    name: 'webhook-delivery',
    schedule: 'rate(1 minute)',
    localEveryMs: 5_000,
    entry: 'functions/webhooks/job.ts',
    handler: 'deliverWebhooks',
    description: 'Sends due webhook deliveries (first attempts and backoff retries).',
    // Claims and records deliveries in the main table; opens endpoint signing secrets (secrets key).
    access: { main: 'readwrite', keys: ['secrets:decrypt'] },
    // Stops claiming after 45 s (delivery.ts budgetMs); requests in flight may take 10 s more.
    timeoutSeconds: 90,
  },
  {
    name: 'notice-delivery',
    schedule: 'rate(1 minute)',
    localEveryMs: 5_000,
    entry: 'functions/notices/job.ts',
    handler: 'deliverNotices',
    description:
      'Sends the shopper notices waiting in the outbox (stored by the charger, which cannot reach SES/SNS, or not yet sent).',
    // Leases and marks notices in the main table; reads nothing else; emails through SES.
    access: { main: 'readwrite', notify: true },
    // Stops taking notices after 45 s (lib/notify-once.ts).
    timeoutSeconds: 90,
  },
  {
    name: 'authorization-expiry',
    schedule: 'rate(1 hour)',
    localEveryMs: 60_000,
    entry: 'functions/orders/jobs.ts',
    handler: 'expireAuthorizations',
    description:
      'Expires lapsed order authorizations and announces those lapsing within 3 days (Query by day, no Scan).',
    // Orders, their expiry markers, events and the watermark all live in the main table.
    access: { main: 'readwrite' },
    timeoutSeconds: 300,
  },
  {
    name: 'installment-collection',
    // 06:00 in New York, all year: the cron follows daylight saving time.
    schedule: 'cron(0 6 * * ? *)',
    timeZone: 'America/New_York',
    localEveryMs: 60_000,
    entry: 'functions/collection/dispatch-handler.ts',
    handler: 'collectDueInstallments',
    description:
      'Dispatches installment collection: one message per (day, shard) of the due index up to today (Query, no Scan).',
    // Reads the due index and writes the run and watermark; the shard workers and chargers do the rest.
    access: { main: 'readwrite', queues: ['collection-shards'] },
    timeoutSeconds: 120,
  },
  {
    name: 'merchant-payouts',
    // Hourly: each merchant is paid once its own local business day has ended (its time zone is in
    // its settlement terms), so one schedule serves every time zone; reruns pay nothing twice.
    schedule: 'cron(15 * * * ? *)',
    localEveryMs: 60_000,
    entry: 'functions/settlements/job.ts',
    handler: 'payMerchants',
    description:
      "Turns each merchant account's positive balance into one payout per local business day, with its reconciliation report and payout.paid event.",
    // Reads accounts and entries, writes payouts, their ledger entries and events.
    access: { main: 'readwrite' },
    timeoutSeconds: 300,
  },
  {
    name: 'withdrawal-reconciler',
    schedule: 'rate(15 minutes)',
    localEveryMs: 60_000,
    entry: 'functions/balance/job.ts',
    handler: 'reconcilePendingWithdrawals',
    description:
      "Settles withdrawals left pending by a payout whose answer was lost, from the processor's record of the payout key (Query on the pending index, no Scan).",
    // Withdrawals, the ledger and the sandbox's payout records live in the main table; the live
    // processor's API key to look a payout up.
    access: { main: 'readwrite', secrets: ['processor-api-key'] },
    timeoutSeconds: 120,
  },
];

/** A function fed by a collection queue (an SQS event source mapping with partial batch failures). */
export interface QueueConsumer {
  name: string;
  /** The queue it consumes. */
  queue: 'collection-shards' | 'collection-charges';
  entry: string;
  handler: string;
  description: string;
  access: RouteAccess;
  timeoutSeconds: number;
  /** The event source mapping's maximum concurrency (2-1000): bounds the load on the processor. */
  maxConcurrency: number;
}

/** The collection pipeline after the dispatcher (see infra/constructs/collection.ts). */
export const queueConsumers: QueueConsumer[] = [
  {
    name: 'collection-shard-worker',
    queue: 'collection-shards',
    entry: 'functions/collection/shard-handler.ts',
    handler: 'shardWorker',
    description:
      'Pages one (day, shard) partition of the due index and sends its installments to the charge queue.',
    // Reads the due index, adds to the run counters, sends charge messages.
    access: { main: 'readwrite', queues: ['collection-charges'] },
    timeoutSeconds: 120,
    maxConcurrency: 8,
  },
  {
    name: 'collection-charger',
    queue: 'collection-charges',
    entry: 'functions/collection/charge-handler.ts',
    handler: 'chargeInstallments',
    description: 'Claims, charges (key installmentId#attempt) and records one installment per message.',
    // The only collection function that detokenizes (vault audit records, vault key decrypt).
    access: {
      main: 'readwrite',
      vault: 'readwrite',
      keys: ['vault:decrypt'],
      secrets: ['processor-api-key'],
    },
    // Far below the reconciler's 15-minute charging timeout (functions/orders/collect.ts).
    timeoutSeconds: 30,
    maxConcurrency: 20,
  },
];
