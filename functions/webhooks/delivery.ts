import { randomBytes } from 'node:crypto';
import * as z from 'zod';
import { clock } from '../lib/clock.ts';
import { logger } from '../lib/logger.ts';
import { countMetric } from '../lib/metrics.ts';
import { defineSchema } from '../lib/schema.ts';
import { EVENT_ID_HEADER, SIGNATURE_HEADER, signatureHeader } from '../lib/signature.ts';
import { type EndpointRecord, listEndpointRecords } from './endpoint-store.ts';
import { postPinned } from './send.ts';
import * as store from './store.ts';
import { type Target, targetsOf } from './targets.ts';
import { urlForLogs } from './url.ts';

/**
 * At-least-once delivery. Each attempt is a conditional claim (pending -> delivering, with a
 * lease), one POST, and a conditional finish (delivered | pending at the next attempt | dead |
 * skipped). Two workers can never both send the same attempt; a worker that dies mid-attempt
 * leaves a lease that expires, and the delivery is found again by the same index Query.
 */
export interface DeliveryPolicy {
  /** Requests per delivery before it goes `dead` (the DLQ). */
  maxAttempts: number;
  /** Delay after the first failure; doubles per failure up to maxDelayMs. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** ±fraction applied to every delay, so a recovering receiver isn't hit by a synchronized herd. */
  jitter: number;
  /** A 2xx must arrive within this; anything else is a failed attempt. */
  timeoutMs: number;
  /** Requests in flight at once, per run. */
  concurrency: number;
  /** Deliveries claimed per run at most. */
  batchSize: number;
  /** How long a claim is exclusive; must exceed timeoutMs plus the bookkeeping around it. */
  leaseMs: number;
  /** A run stops claiming new deliveries after this much wall time (fits a 1-minute schedule). */
  budgetMs: number;
}

const EnvPolicy = /* @__PURE__ */ defineSchema(() =>
  z.object({
    WEBHOOK_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(15),
    WEBHOOK_BASE_DELAY_MS: z.coerce.number().int().min(1).default(60_000),
    WEBHOOK_MAX_DELAY_MS: z.coerce
      .number()
      .int()
      .min(1)
      .default(6 * 3600_000),
    WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(30_000).default(10_000),
    WEBHOOK_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(16),
  }),
);

/** Defaults, overridable by WEBHOOK_* environment variables and then by `overrides`. */
export function deliveryPolicy(overrides: Partial<DeliveryPolicy> = {}): DeliveryPolicy {
  const env = EnvPolicy.parse(process.env);
  const timeoutMs = overrides.timeoutMs ?? env.WEBHOOK_TIMEOUT_MS;
  return {
    maxAttempts: env.WEBHOOK_MAX_ATTEMPTS,
    baseDelayMs: env.WEBHOOK_BASE_DELAY_MS,
    maxDelayMs: env.WEBHOOK_MAX_DELAY_MS,
    jitter: 0.1,
    timeoutMs,
    concurrency: env.WEBHOOK_CONCURRENCY,
    batchSize: 200,
    leaseMs: timeoutMs + 20_000,
    budgetMs: 45_000,
    ...overrides,
  };
}

/** Nominal delay after the n-th failed attempt (1-based): base·2^(n-1), capped. */
export function nominalRetryDelayMs(failedAttempts: number, policy: DeliveryPolicy): number {
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, failedAttempts - 1));
}

/** The nominal delay with ±jitter. `random` is injectable so tests can pin it. */
export function retryDelayMs(
  failedAttempts: number,
  policy: DeliveryPolicy,
  random: () => number = Math.random,
): number {
  const factor = 1 - policy.jitter + 2 * policy.jitter * random();
  return Math.round(nominalRetryDelayMs(failedAttempts, policy) * factor);
}

export interface DeliveryRunResult {
  /** Found due by the index query. */
  due: number;
  delivered: number;
  retried: number;
  dead: number;
  skipped: number;
  /** Claimed by another worker first, or already finished (the index lags the table). */
  contended: number;
  /** Attempts that failed on our side (DynamoDB, KMS); their lease expires and they run again. */
  errors: number;
}

export interface DeliverOptions {
  /** Deliveries due at or before this instant are sent; default the clock's now. */
  now?: Date;
  policy?: Partial<DeliveryPolicy>;
  random?: () => number;
}

type AttemptResult = 'delivered' | 'retried' | 'dead' | 'skipped' | 'contended';

/** Per run, per merchant: a URL, subscription or secret change takes effect on the next run. */
type EndpointCache = Map<string, Promise<EndpointRecord[]>>;

/** One signed POST of the event to each target, at once; the ids that acknowledged and the first failure. */
async function sendToTargets(
  event: store.EventRecord,
  delivery: store.DeliveryRecord,
  targets: Target[],
  policy: DeliveryPolicy,
): Promise<{
  acknowledged: string[];
  failure?: { error: string; statusCode?: number };
  statusCode?: number;
}> {
  // Signed at send time, not at event time: a retry hours later still passes the 5-minute window.
  const timestamp = Math.floor(clock().now().getTime() / 1000);
  const results = await Promise.all(
    targets.map((target) =>
      postPinned(
        target.url,
        event.payload,
        {
          'Content-Type': 'application/json; charset=utf-8',
          'User-Agent': 'Tessera-Webhooks/1.0',
          [SIGNATURE_HEADER]: signatureHeader(event.payload, target.secrets, timestamp),
          [EVENT_ID_HEADER]: event.id,
          'Tessera-Event-Type': event.eventType,
          'Tessera-Delivery-Attempt': String(delivery.attempts),
        },
        policy.timeoutMs,
      ),
    ),
  );
  const acknowledged = targets.filter((_, i) => results[i]?.ok).map((t) => t.endpointId);
  const failedAt = results.findIndex((r) => !r.ok);
  const failed = results[failedAt];
  if (failed) {
    logger.warn('webhook attempt failed', {
      eventId: event.id,
      merchantId: delivery.merchantId,
      host: urlForLogs(targets[failedAt]?.url ?? ''),
      attempt: delivery.attempts,
      error: failed.error,
      statusCode: failed.statusCode,
    });
  }
  return {
    acknowledged,
    ...(results[0]?.statusCode !== undefined ? { statusCode: results[0].statusCode } : {}),
    ...(failed
      ? {
          failure: {
            error: failed.error ?? 'failed',
            ...(failed.statusCode !== undefined ? { statusCode: failed.statusCode } : {}),
          },
        }
      : {}),
  };
}

async function attempt(
  id: string,
  now: Date,
  policy: DeliveryPolicy,
  random: () => number,
  endpoints: EndpointCache,
): Promise<AttemptResult> {
  const leaseToken = randomBytes(16).toString('hex');
  const delivery = await store.claimDelivery(id, now, new Date(now.getTime() + policy.leaseMs), leaseToken);
  if (!delivery) return 'contended';
  const finish = async (outcome: store.AttemptOutcome, result: AttemptResult): Promise<AttemptResult> => {
    const recorded = await store.finishAttempt(delivery, leaseToken, outcome, now);
    if (!recorded) logger.warn('webhook lease lost before the outcome was recorded', { eventId: id });
    return recorded ? result : 'contended';
  };

  let merchantEndpoints = endpoints.get(delivery.merchantId);
  if (!merchantEndpoints) {
    merchantEndpoints = listEndpointRecords(delivery.merchantId);
    endpoints.set(delivery.merchantId, merchantEndpoints);
  }
  const targets = await targetsOf(delivery, await merchantEndpoints, clock().now());
  if (targets.kind === 'skip') return finish({ kind: 'skipped', reason: targets.reason }, 'skipped');

  const event = await store.getEvent(id);
  if (!event) throw new Error(`webhook event ${id} has a delivery but no event item`);
  const sent = await sendToTargets(event, delivery, targets.targets, policy);
  const deliveredTo = [...(delivery.deliveredTo ?? []), ...sent.acknowledged];
  if (!sent.failure) {
    return finish({ kind: 'delivered', statusCode: sent.statusCode ?? 200, deliveredTo }, 'delivered');
  }
  if (delivery.attempts >= policy.maxAttempts) {
    countMetric('WebhookDeliveryDead');
    return finish({ kind: 'dead', ...sent.failure, deliveredTo }, 'dead');
  }
  const nextAttemptAt = new Date(now.getTime() + retryDelayMs(delivery.attempts, policy, random));
  return finish({ kind: 'retry', nextAttemptAt, ...sent.failure, deliveredTo }, 'retried');
}

/** One run: Query what is due, then attempt each with bounded concurrency. */
const emptyRun = (): DeliveryRunResult => ({
  due: 0,
  delivered: 0,
  retried: 0,
  dead: 0,
  skipped: 0,
  contended: 0,
  errors: 0,
});

export async function deliverDue(options: DeliverOptions = {}): Promise<DeliveryRunResult> {
  const policy = deliveryPolicy(options.policy);
  const now = options.now ?? clock().now();
  const random = options.random ?? Math.random;
  const started = performance.now();
  const ids = await store.queryDue(now, policy.batchSize);
  const result: DeliveryRunResult = { ...emptyRun(), due: ids.length };
  // Per run only: a URL or secret change takes effect on the next run.
  const endpoints: EndpointCache = new Map();
  let next = 0;
  const worker = async () => {
    while (next < ids.length && performance.now() - started < policy.budgetMs) {
      const id = ids[next++];
      if (id === undefined) break;
      try {
        result[await attempt(id, now, policy, random, endpoints)] += 1;
      } catch (error) {
        result.errors += 1;
        logger.error('webhook attempt errored; its lease will expire and it will run again', {
          eventId: id,
          error: error as Error,
        });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(policy.concurrency, ids.length) }, worker));
  return result;
}

/**
 * Flushes everything due now (several runs if a batch is full). The local runtime and tests use it
 * to deliver without waiting for the scheduler.
 */
export async function deliverPendingNow(options: DeliverOptions = {}): Promise<DeliveryRunResult> {
  const batchSize = deliveryPolicy(options.policy).batchSize;
  const total = emptyRun();
  for (let round = 0; round < 50; round++) {
    const run = await deliverDue(options);
    for (const key of Object.keys(total) as (keyof DeliveryRunResult)[]) total[key] += run[key];
    if (run.due < batchSize || run.delivered + run.retried + run.dead + run.skipped === 0) break;
  }
  return total;
}
