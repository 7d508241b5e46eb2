/**
 * THE scheduled-job table, read by the CDK jobs construct (EventBridge Scheduler) and by the local
 * scheduler, like infra/routes.ts is for HTTP. A job's handler receives `{ asOf?: string }`.
 */
export interface ScheduledJob {
  name: string;
  /** EventBridge Scheduler expression, e.g. `cron(0 6 * * ? *)` or `rate(1 hour)`. */
  schedule: string;
  /** How often the local scheduler runs it (time is compressed locally). */
  localEveryMs: number;
  entry: string;
  handler: string;
  description: string;
}

export const jobs: ScheduledJob[] = [
  {
    name: 'webhook-delivery',
    schedule: 'rate(1 minute)',
    localEveryMs: 5_000,
    entry: 'functions/webhooks/job.ts',
    handler: 'deliverWebhooks',
    description:
      'Sends due webhook deliveries (first attempts and backoff retries); needs main readwrite and secrets:decrypt.',
  },
  {
    name: 'authorization-expiry',
    schedule: 'rate(1 hour)',
    localEveryMs: 60_000,
    entry: 'functions/orders/jobs.ts',
    handler: 'expireAuthorizations',
    description:
      'Expires lapsed order authorizations and announces those lapsing within 3 days (Query by day, no Scan); needs main readwrite.',
  },
];
