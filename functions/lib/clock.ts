/**
 * The one place that reads the wall clock. Everything else receives a Clock, so tests and
 * demos can move time (TESSERA_CLOCK) without touching the code under test.
 */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export function fixedClock(
  at: Date | string,
): Clock & { set(at: Date | string): void; advance(ms: number): void } {
  let current = new Date(at);
  return {
    now: () => new Date(current),
    set(next) {
      current = new Date(next);
    },
    advance(ms) {
      current = new Date(current.getTime() + ms);
    },
  };
}

export function offsetClock(offsetMs: number, base: Clock = systemClock): Clock {
  return { now: () => new Date(base.now().getTime() + offsetMs) };
}

/**
 * TESSERA_CLOCK: unset = system clock; an ISO instant = fixed clock; `+<n>d` / `-<n>d` (or h, m, s)
 * = system clock shifted by that offset.
 */
export function clockFromSpec(spec: string | undefined): Clock {
  if (!spec) return systemClock;
  const offset = /^([+-])(\d+)([dhms])$/.exec(spec.trim());
  if (offset) {
    const unitMs = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000 }[offset[3] as 'd' | 'h' | 'm' | 's'];
    return offsetClock((offset[1] === '-' ? -1 : 1) * Number(offset[2]) * unitMs);
  }
  const at = new Date(spec);
  if (Number.isNaN(at.getTime()))
    throw new Error(`TESSERA_CLOCK is neither an ISO date nor an offset like +3d: ${spec}`);
  return fixedClock(at);
}

let current: Clock | undefined;

/** The process-wide clock used by handlers; tests replace it with setClock. */
export function clock(): Clock {
  current ??= clockFromSpec(process.env.TESSERA_CLOCK);
  return current;
}

export function setClock(next: Clock | undefined): void {
  current = next;
}

export const DAY_MS = 86_400_000;

/** `YYYY-MM-DD` of an instant, in UTC (the business day of the platform). */
export function isoDay(at: Date): string {
  return at.toISOString().slice(0, 10);
}

/** The day `days` calendar days after `day` (both `YYYY-MM-DD`, UTC; `days` may be negative). */
export function addDays(day: string, days: number): string {
  return isoDay(new Date(Date.parse(`${day}T00:00:00Z`) + days * DAY_MS));
}
