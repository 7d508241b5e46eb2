/**
 * The authorization expiry sweep (scheduled; see infra/jobs.ts). It reads only the orders whose
 * authorization lapses soon, from the `AUTHEXP#<day>` index partitions (a Query per day, never a
 * Scan), and for each:
 * - lapsed, nothing captured: `authorized -> expired`, `order.authorization_expired`;
 * - lapsed, partly captured: the rest of the authorization is released (the order keeps its status),
 *   `order.authorization_expired`; the order may then settle as `paid_off`;
 * - lapsing within 3 days: `order.authorization_expiring`, once per expiry instant (an extension
 *   moves the instant, so the new one is announced again).
 * Every change is a conditional write on the order version; a lost race is left for the next run.
 */
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { type Clock, DAY_MS, isoDay, clock as processClock } from '../lib/clock.ts';
import { ddb, tableName } from '../lib/dynamodb.ts';
import { logger } from '../lib/logger.ts';
import { type ExpiryOutcome, expireAuthorization } from './lifecycle.ts';
import { EXPIRING_NOTICE_MS, SWEEP_DEFAULT_LOOKBACK_DAYS } from './policy.ts';
import * as store from './store.ts';

const WATERMARK_KEY = { pk: 'JOB#authorization-expiry', sk: 'JOB' };

/** Counts of what changed (the local scheduler logs a run only when one is non-zero). */
export interface SweepResult {
  expired: number;
  released: number;
  expiring: number;
  skipped: number;
}

/** `asOf`: an ISO instant, or a day (today = now; another day = the end of that day). */
export function sweepInstant(asOf: string | undefined, clock: Clock): Date {
  const now = clock.now();
  if (!asOf) return now;
  if (/^\d{4}-\d{2}-\d{2}$/.test(asOf)) {
    return asOf === isoDay(now) ? now : new Date(`${asOf}T23:59:59.999Z`);
  }
  const at = new Date(asOf);
  if (Number.isNaN(at.getTime())) throw new Error(`asOf is neither a day nor an ISO instant: ${asOf}`);
  return at;
}

function* days(from: string, to: string): Generator<string> {
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= Date.parse(`${to}T00:00:00Z`); t += DAY_MS) {
    yield isoDay(new Date(t));
  }
}

async function readWatermark(): Promise<string | undefined> {
  const { Item } = await ddb().send(
    new GetCommand({ TableName: tableName(), Key: WATERMARK_KEY, ConsistentRead: true }),
  );
  return typeof Item?.day === 'string' ? Item.day : undefined;
}

/** Days before the watermark hold no unprocessed marker; it never moves back past one. */
async function writeWatermark(day: string, at: Date): Promise<void> {
  await ddb().send(
    new PutCommand({
      TableName: tableName(),
      Item: { ...WATERMARK_KEY, type: 'jobWatermark', day, updatedAt: at.toISOString() },
    }),
  );
}

/**
 * The scheduled entry point: `{ asOf?: 'YYYY-MM-DD' | ISO instant }`. Lambda calls it as
 * `(event, context)`, so the clock is never a parameter: it is the process clock.
 */
export async function expireAuthorizations(input: { asOf?: string } = {}): Promise<SweepResult> {
  const clock = processClock();
  const now = sweepInstant(input.asOf, clock);
  const today = isoDay(now);
  const noticeUntil = new Date(now.getTime() + EXPIRING_NOTICE_MS).toISOString();
  const watermark = await readWatermark();
  const start =
    watermark && watermark <= today
      ? watermark
      : isoDay(new Date(now.getTime() - SWEEP_DEFAULT_LOOKBACK_DAYS * DAY_MS));
  const result: SweepResult = {
    expired: 0,
    released: 0,
    expiring: 0,
    skipped: 0,
  };
  let earliestLeft: string | undefined;
  for (const day of days(start, isoDay(new Date(now.getTime() + EXPIRING_NOTICE_MS)))) {
    for (const marker of await store.queryAuthExpiries(day, noticeUntil)) {
      let outcome: ExpiryOutcome;
      try {
        outcome = await expireAuthorization(marker, now, clock);
      } catch (error) {
        logger.error('authorization sweep: order not processed', {
          orderId: marker.orderId,
          error: error as Error,
        });
        outcome = 'skipped';
      }
      if (
        outcome === 'expired' ||
        outcome === 'released' ||
        outcome === 'expiring' ||
        outcome === 'skipped'
      ) {
        result[outcome] += 1;
      }
      // A marker that lapsed but is still there must be seen again by the next run.
      const lapsed = Date.parse(marker.expiresAt) <= now.getTime();
      if (
        lapsed &&
        (outcome === 'skipped' || outcome === 'pending') &&
        (!earliestLeft || day < earliestLeft)
      ) {
        earliestLeft = day;
      }
    }
  }
  await writeWatermark(earliestLeft ?? today, now);
  return result;
}
