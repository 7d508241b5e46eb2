import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  canTransition,
  isTerminal,
  ORDER_STATUSES,
  type OrderStatus,
  sourcesOf,
  TRANSITIONS,
  transitionCondition,
} from '../../functions/orders/state.ts';

describe('the order state machine', () => {
  it('is exactly this table', () => {
    expect(TRANSITIONS).toEqual({
      authorized: ['authorized', 'captured', 'cancelled', 'expired'],
      captured: ['captured', 'in_arrears', 'paid_off', 'refunded'],
      in_arrears: ['in_arrears', 'captured', 'paid_off', 'refunded'],
      paid_off: ['paid_off', 'refunded'],
      refunded: [],
      cancelled: [],
      expired: [],
    });
  });

  it.each([
    ['authorized', 'captured', true],
    ['authorized', 'cancelled', true],
    ['authorized', 'expired', true],
    ['captured', 'captured', true],
    ['captured', 'refunded', true],
    ['captured', 'cancelled', false],
    ['captured', 'authorized', false],
    ['captured', 'expired', false],
    ['cancelled', 'captured', false],
    ['cancelled', 'authorized', false],
    ['expired', 'captured', false],
    ['refunded', 'captured', false],
    ['paid_off', 'captured', false],
    ['paid_off', 'refunded', true],
    ['in_arrears', 'captured', true],
  ] as const)('%s -> %s is %s', (from, to, allowed) => {
    expect(canTransition(from, to)).toBe(allowed);
  });

  it('refunded, cancelled and expired are terminal; nothing returns to authorized', () => {
    expect(ORDER_STATUSES.filter(isTerminal)).toEqual(['refunded', 'cancelled', 'expired']);
    expect(sourcesOf('authorized')).toEqual(['authorized']);
    expect(sourcesOf('cancelled')).toEqual(['authorized']);
    expect(sourcesOf('expired')).toEqual(['authorized']);
  });

  it('any sequence of attempted events never leaves a terminal status or returns to authorized', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...ORDER_STATUSES), { maxLength: 40 }), (attempts) => {
        let status: OrderStatus = 'authorized';
        let leftAuthorized = false;
        for (const to of attempts) {
          const wasTerminal = isTerminal(status);
          if (canTransition(status, to)) status = to;
          if (wasTerminal) expect(isTerminal(status)).toBe(true);
          if (status !== 'authorized') leftAuthorized = true;
          if (leftAuthorized) expect(status).not.toBe('authorized');
        }
      }),
    );
  });

  it('builds the write condition from the version read and the statuses allowed to move', () => {
    const condition = transitionCondition('cancelled', 7);
    expect(condition.ConditionExpression).toBe('#version = :expectedVersion AND #status IN (:from0)');
    expect(condition.values).toEqual({ ':expectedVersion': 7, ':from0': 'authorized' });
    expect(transitionCondition('refunded', 3).values).toEqual({
      ':expectedVersion': 3,
      ':from0': 'captured',
      ':from1': 'in_arrears',
      ':from2': 'paid_off',
    });
    expect(() => transitionCondition('authorized', 1)).not.toThrow();
  });
});
