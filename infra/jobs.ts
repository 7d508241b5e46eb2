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

export const jobs: ScheduledJob[] = [];
