import { describe, expect, it } from 'vitest';
import { fixedClock } from '../../functions/lib/clock.ts';
import { deliveryPolicy, nominalRetryDelayMs, retryDelayMs } from '../../functions/webhooks/delivery.ts';
import { webhookEvent, webhookEventItems } from '../../functions/webhooks/events.ts';
import { asOfInstant } from '../../functions/webhooks/job.ts';
import { PENDING_SHARDS, shardOf } from '../../functions/webhooks/store.ts';

const clock = fixedClock('2026-03-01T12:00:00.000Z');
const input = {
  merchantId: 'mer_01J0000000000000000000000A',
  type: 'order.captured' as const,
  objectId: 'ord_01J0000000000000000000000A',
  sequence: 2,
  data: { id: 'ord_01J0000000000000000000000A', status: 'captured', when: new Date('2026-03-01T00:00:00Z') },
};

describe('webhookEventItems (the contract the orders capability commits with its change)', () => {
  it('records the event and enqueues a due, pending delivery, both create-only', () => {
    const items = webhookEventItems(input, clock);
    expect(items).toHaveLength(2);
    const [event, delivery] = items.map((i) => i.Put);
    expect(event?.ConditionExpression).toBe('attribute_not_exists(pk)');
    expect(delivery?.ConditionExpression).toBe('attribute_not_exists(pk)');
    const id = event?.Item?.id as string;
    expect(id).toMatch(/^evt_[0-9A-Z]{26}$/);
    expect(event?.Item).toMatchObject({
      pk: `EVENT#${id}`,
      sk: 'EVENT',
      eventType: 'order.captured',
      created: '2026-03-01T12:00:00.000Z',
      sequence: 2,
      objectId: input.objectId,
      merchantId: input.merchantId,
      gsi1pk: `EVENTS#${input.objectId}`,
      gsi1sk: `000000000002#${id}`,
    });
    expect(delivery?.Item).toMatchObject({
      pk: `EVENT#${id}`,
      sk: 'DELIVERY',
      status: 'pending',
      attempts: 0,
      nextAttemptAt: '2026-03-01T12:00:00.000Z',
      gsi1pk: `WEBHOOK#pending#${shardOf(id)}`,
      gsi1sk: `2026-03-01T12:00:00.000Z#${id}`,
    });
  });

  it('the payload is the exact JSON sent: id, type, created, objectId, sequence, data', () => {
    const { event, payload, items } = webhookEvent(input, clock);
    expect(JSON.parse(payload)).toEqual({
      id: event.id,
      object: 'event',
      type: 'order.captured',
      created: '2026-03-01T12:00:00.000Z',
      objectId: input.objectId,
      sequence: 2,
      // Dates become their JSON form, so what is stored is what is sent.
      data: { id: input.objectId, status: 'captured', when: '2026-03-01T00:00:00.000Z' },
    });
    expect(items[0]?.Put?.Item?.payload).toBe(payload);
  });

  it('every event gets a fresh id', () => {
    const a = webhookEvent(input, clock).event.id;
    const b = webhookEvent(input, clock).event.id;
    expect(a).not.toBe(b);
  });

  it.each([
    ['a zero sequence', { sequence: 0 }],
    ['a fractional sequence', { sequence: 1.5 }],
    ['an unknown type', { type: 'order.exploded' }],
    ['no objectId', { objectId: '' }],
    ['an oversize payload', { data: { blob: 'x'.repeat(70 * 1024) } }],
  ])('refuses %s', (_name, change) => {
    expect(() => webhookEventItems({ ...input, ...change } as typeof input, clock)).toThrow();
  });

  it('sequence sort keys order numerically, not lexically', () => {
    const sk = (sequence: number) =>
      webhookEventItems({ ...input, sequence }, clock)[0]?.Put?.Item?.gsi1sk as string;
    const [nine, ten, hundred] = [sk(9), sk(10), sk(100)];
    expect([ten, hundred, nine].sort()).toEqual([nine, ten, hundred]);
  });

  it('shards spread over every pending partition', () => {
    const seen = new Set(Array.from({ length: 200 }, () => shardOf(webhookEvent(input, clock).event.id)));
    expect(seen.size).toBe(PENDING_SHARDS);
  });
});

describe('the retry schedule', () => {
  const policy = deliveryPolicy({ maxAttempts: 15 });

  it('doubles from 1 minute and caps at 6 hours', () => {
    const minutes = Array.from({ length: 14 }, (_, i) => nominalRetryDelayMs(i + 1, policy) / 60_000);
    expect(minutes).toEqual([1, 2, 4, 8, 16, 32, 64, 128, 256, 360, 360, 360, 360, 360]);
    // 15 attempts span about 38.5 hours before a delivery is dead.
    expect(minutes.reduce((a, b) => a + b, 0)).toBe(2311);
  });

  it('applies at most ±10% jitter', () => {
    expect(retryDelayMs(1, policy, () => 0)).toBe(54_000);
    expect(retryDelayMs(1, policy, () => 0.5)).toBe(60_000);
    expect(retryDelayMs(1, policy, () => 0.999_999)).toBeLessThanOrEqual(66_000);
    expect(retryDelayMs(3, policy, () => 0)).toBe(216_000);
  });

  it('reads its knobs from the environment', () => {
    process.env.WEBHOOK_MAX_ATTEMPTS = '4';
    process.env.WEBHOOK_TIMEOUT_MS = '2000';
    try {
      expect(deliveryPolicy()).toMatchObject({ maxAttempts: 4, timeoutMs: 2000, leaseMs: 22_000 });
    } finally {
      delete process.env.WEBHOOK_MAX_ATTEMPTS;
      delete process.env.WEBHOOK_TIMEOUT_MS;
    }
    expect(deliveryPolicy()).toMatchObject({ maxAttempts: 15, timeoutMs: 10_000 });
  });
});

describe('the job input', () => {
  it('takes an ISO instant, and reads a bare date (the local scheduler) as now', () => {
    expect(asOfInstant('2026-03-01T12:34:56.000Z').toISOString()).toBe('2026-03-01T12:34:56.000Z');
    expect(asOfInstant('2020-01-01')).toBeInstanceOf(Date);
    expect(() => asOfInstant('soon')).toThrow();
  });
});
