import { describe, expect, it } from 'vitest';
import { RiskConfigSchema } from '../../functions/monitoring/config.ts';
import { evaluateRules } from '../../functions/monitoring/rules.ts';
import {
  type Bucket,
  bucketStart,
  DAY_MS,
  EMPTY_BUCKET,
  estimate,
  eventMember,
  MAX_EVENTS,
} from '../../functions/monitoring/windows.ts';

/** A bucket as DynamoDB holds it after these checkouts (time, amount) were added. */
function bucket(events: ReadonlyArray<readonly [atMs: number, amount: number]>): Bucket {
  return {
    n: events.length,
    sum: events.reduce((sum, [, amount]) => sum + amount, 0),
    events: new Set(events.map(([atMs, amount], i) => eventMember(atMs, `e${i}`, '-', amount))),
  };
}

// The 90-day window's current bucket starts at b0; the read is late in it (day 86 of 90).
const b0 = bucketStart('90d', Date.parse('2026-07-01T00:00:00Z'));
const t = b0 + 86 * DAY_MS;
// Three checkouts of 100.00 late in the previous bucket (5, 3 and 1 days before b0) and one of 400.00
// in the current one. The window (t - 90 d, t] starts 4 days before b0: the first has left it.
const previous = bucket([
  [b0 - 5 * DAY_MS, 10_000],
  [b0 - 3 * DAY_MS, 10_000],
  [b0 - DAY_MS, 10_000],
]);
const current = bucket([[b0 + 10 * DAY_MS, 40_000]]);

describe('the 90-day window late in its bucket', () => {
  it('sums exactly the amounts of the events inside the window (was 41,333: the previous bucket weighted by 4/90)', () => {
    expect(estimate('90d', t, current, previous)).toMatchObject({ count: 3, sum: 60_000 });
  });

  it('so the average behind amount_spike is 200.00, and 5x it minus one unit does not fire', () => {
    const config = RiskConfigSchema.parse({});
    const history = estimate('90d', t, current, previous);
    const get = () => history;
    const at = (amountUsdMinor: number) =>
      evaluateRules({ action: 'checkout', customerId: 'cus_1', amountUsdMinor }, get, config).map(
        (f) => f.rule,
      );
    // With the old sum (average 13,777) a 70,000 checkout fired as a 5x spike.
    expect(at(70_000)).not.toContain('amount_spike');
    expect(at(99_999)).not.toContain('amount_spike');
    expect(at(100_000)).toContain('amount_spike');
  });

  it('an event exactly W old has left the window; one a millisecond younger is in it', () => {
    const at = b0 + DAY_MS;
    const edge = bucket([[at - 90 * DAY_MS, 1_000]]);
    expect(estimate('90d', at, EMPTY_BUCKET, edge)).toMatchObject({ count: 0, sum: 0 });
    const inside = bucket([[at - 90 * DAY_MS + 1, 1_000]]);
    expect(estimate('90d', at, EMPTY_BUCKET, inside)).toMatchObject({ count: 1, sum: 1_000 });
  });

  it('past MAX_EVENTS (no event list to trust) count and sum are weighted alike, so the average holds', () => {
    // 2,000 checkouts of 100.00; the bucket kept the first MAX_EVENTS of them only.
    const full: Bucket = {
      n: 2 * MAX_EVENTS,
      sum: 2 * MAX_EVENTS * 10_000,
      events: new Set(
        Array.from({ length: MAX_EVENTS }, (_, i) => eventMember(b0 - DAY_MS, `x${i}`, '-', 10_000)),
      ),
    };
    const seen = estimate('90d', t, current, full);
    // 2,000 x 4/90 = 88 of the previous bucket's checkouts, at 100.00 each, plus the current one.
    expect(seen).toMatchObject({ count: 1 + 88, sum: 40_000 + 888_888 });
  });
});
