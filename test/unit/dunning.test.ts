import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRY_DAYS, nextRetryDay } from '../../functions/orders/dunning.ts';

const at = (iso: string) => new Date(iso);

describe('the dunning schedule', () => {
  it('retries a soft decline at due +1, +3, +7 days, then gives up (in_arrears)', () => {
    const due = '2026-03-02';
    expect(nextRetryDay({ dueDate: due, attempts: 1 }, at('2026-03-02T10:00:00Z'))).toBe('2026-03-03');
    expect(nextRetryDay({ dueDate: due, attempts: 2 }, at('2026-03-03T10:00:00Z'))).toBe('2026-03-05');
    expect(nextRetryDay({ dueDate: due, attempts: 3 }, at('2026-03-05T10:00:00Z'))).toBe('2026-03-09');
    expect(nextRetryDay({ dueDate: due, attempts: 4 }, at('2026-03-09T10:00:00Z'))).toBeUndefined();
  });

  it('never schedules a retry for today or earlier, even when collection ran late', () => {
    expect(nextRetryDay({ dueDate: '2026-03-02', attempts: 1 }, at('2026-03-20T23:59:00Z'))).toBe(
      '2026-03-21',
    );
  });

  it('follows a configured schedule', () => {
    const schedule = [2, 5];
    expect(nextRetryDay({ dueDate: '2026-03-02', attempts: 1 }, at('2026-03-02T08:00:00Z'), schedule)).toBe(
      '2026-03-04',
    );
    expect(nextRetryDay({ dueDate: '2026-03-02', attempts: 3 }, at('2026-03-08T08:00:00Z'), schedule)).toBe(
      undefined,
    );
  });

  it('property: a retry day is always after today and exists for exactly the schedule length', () => {
    fc.assert(
      fc.property(
        fc.date({ min: at('2020-01-01T00:00:00Z'), max: at('2035-01-01T00:00:00Z'), noInvalidDate: true }),
        fc.integer({ min: 0, max: 40 }),
        fc.integer({ min: 1, max: 6 }),
        (due, lateDays, attempts) => {
          const dueDate = due.toISOString().slice(0, 10);
          const now = new Date(Date.parse(`${dueDate}T12:00:00Z`) + lateDays * 86_400_000);
          const day = nextRetryDay({ dueDate, attempts }, now, DEFAULT_RETRY_DAYS);
          if (attempts > DEFAULT_RETRY_DAYS.length) return day === undefined;
          return day !== undefined && day > now.toISOString().slice(0, 10);
        },
      ),
    );
  });
});
