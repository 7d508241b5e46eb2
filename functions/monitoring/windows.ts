/**
 * Windowed aggregates over two fixed buckets: a window of length W keeps one bucket per W, and a
 * read at time t looks at the current bucket and the previous one (two items, whatever the window).
 * Each bucket holds a count and a sum (atomic ADD) and its events as a string set (atomic ADD):
 * `<value>|<epoch ms>|<nonce>|<amount>`, the value being what distinct rules count (a card
 * fingerprint, a customer id) or `-`, the amount what the event added to the sum. So counts,
 * distinct counts and sums are exact over the sliding window (t - W, t]: the events of both buckets
 * are filtered by time (an event exactly W old has left the window). Each bucket expires 2W after
 * its start (TTL), i.e. W after the last instant any read still looks at it.
 *
 * A bucket keeps at most MAX_EVENTS events; past that (an attack far beyond every threshold) only
 * its count and sum grow, and the estimate weights the previous bucket's count and sum by its share
 * still inside the window (the "sliding window counter" of Cloudflare's rate limiter).
 */

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;

/** The windows the rules use, by name. */
export const WINDOWS = {
  '1h': HOUR_MS,
  '24h': DAY_MS,
  '72h': 3 * DAY_MS,
  '7d': 7 * DAY_MS,
  '30d': 30 * DAY_MS,
  '90d': 90 * DAY_MS,
} as const;
export type WindowName = keyof typeof WINDOWS;

/** Events kept per bucket: far above every threshold, far below DynamoDB's 400 KB item. */
export const MAX_EVENTS = 1_000;

/** The start (epoch ms) of the bucket of `window` holding `atMs`. */
export const bucketStart = (window: WindowName, atMs: number) => atMs - (atMs % WINDOWS[window]);

/** A bucket as stored. */
export interface Bucket {
  n: number;
  sum: number;
  events: ReadonlySet<string>;
}

export const EMPTY_BUCKET: Bucket = { n: 0, sum: 0, events: new Set() };

/** One event as stored in a bucket's set: what it counts, when, a nonce, and its amount (if any). */
export const eventMember = (atMs: number, nonce: string, value = '-', amount = 0) =>
  `${value}|${atMs}|${nonce}${amount ? `|${amount}` : ''}`;

function parse(member: string): { value: string; atMs: number; amount: number } {
  const [value = '-', at = '0', _nonce, amount = '0'] = member.split('|');
  return { value, atMs: Number(at), amount: Number(amount) || 0 };
}

const total = (events: ReadonlyArray<{ amount: number }>) => events.reduce((sum, e) => sum + e.amount, 0);

/** The distinct values among stored events (for a bucket seen on its own, e.g. in the stream). */
export function distinctValues(events: Iterable<string>): string[] {
  return [...new Set([...events].map((e) => parse(e).value).filter((v) => v !== '-'))].sort();
}

/** What a window holds at `atMs`. */
export interface WindowEstimate {
  /** Events within (atMs - W, atMs]. */
  count: number;
  /** Sum of the amounts of those events (estimated as `count` is, past MAX_EVENTS). */
  sum: number;
  /** Distinct values among the events within the window. */
  values: ReadonlySet<string>;
}

/** What the window holds at `atMs`, from its current and previous buckets. */
export function estimate(
  window: WindowName,
  atMs: number,
  current: Bucket,
  previous: Bucket,
): WindowEstimate {
  const length = WINDOWS[window];
  const weight = (length - (atMs - bucketStart(window, atMs))) / length;
  const parsed = { current: [...current.events].map(parse), previous: [...previous.events].map(parse) };
  const inside = [...parsed.current, ...parsed.previous].filter((e) => e.atMs > atMs - length);
  const values = new Set(inside.map((e) => e.value).filter((v) => v !== '-'));
  // Below the cap the event sets are the truth (an event recorded twice under one id counts once).
  // Their amounts are too, unless a bucket's sum holds amounts its events do not name.
  const complete = current.events.size < MAX_EVENTS && previous.events.size < MAX_EVENTS;
  const amountsNamed = total(parsed.current) === current.sum && total(parsed.previous) === previous.sum;
  return {
    count: complete ? inside.length : current.n + Math.floor(previous.n * weight),
    sum: complete && amountsNamed ? total(inside) : current.sum + Math.floor(previous.sum * weight),
    values,
  };
}
