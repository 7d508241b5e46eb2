import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { resetConfig } from '../../functions/lib/config.ts';
import { entryFromEvent, LEDGER_EVENT_TYPES } from '../../functions/settlements/feed.ts';
import { postingsOf } from '../../functions/settlements/ledger.ts';
import { merchantLiableForFraud } from '../../functions/settlements/liability.ts';
import {
  captureFee,
  localDay,
  refundedFee,
  startOfLocalDay,
  termsFor,
} from '../../functions/settlements/terms.ts';
import { LEDGER_FEED_EVENT_TYPES } from '../../infra/constructs/settlements.ts';

afterEach(() => {
  delete process.env.SETTLEMENT_TERMS;
  resetConfig();
});

const terms = { feeBps: 290, feeFixed: { USD: 30 }, timeZone: 'UTC' };

describe('merchant fees', () => {
  it('2.9% rounded half up plus the fixed part; never more than the capture', () => {
    expect(captureFee(terms, 10_000, 'USD')).toBe(290 + 30);
    expect(captureFee(terms, 12_345, 'USD')).toBe(358 + 30); // 358.005 rounds to 358
    expect(captureFee(terms, 10_000, 'JPY')).toBe(290); // no fixed part configured for JPY
    expect(captureFee(terms, 20, 'USD')).toBe(20);
  });

  it('however a capture is refunded in parts, the rate fee returned never exceeds the rate fee charged', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000_000 }),
        fc.array(fc.integer({ min: 1, max: 1_000_000 }), { minLength: 1, maxLength: 20 }),
        fc.integer({ min: 0, max: 10_000 }),
        (gross, parts, feeBps) => {
          const t = { ...terms, feeBps, feeFixed: {} };
          // Refunds of this capture, capped at the capture.
          let left = gross;
          let returned = 0;
          for (const part of parts) {
            const amount = Math.min(part, left);
            if (amount === 0) break;
            returned += refundedFee(t, amount);
            left -= amount;
          }
          expect(returned).toBeLessThanOrEqual(captureFee(t, gross, 'USD'));
        },
      ),
    );
  });

  it('reads per-merchant terms from SETTLEMENT_TERMS over the default', () => {
    process.env.SETTLEMENT_TERMS = JSON.stringify({
      default: { feeBps: 250 },
      mer_01JNJ3Y7ZQ8M4N5P6Q7R8S9T0V: { feeBps: 100, timeZone: 'Asia/Tokyo' },
    });
    resetConfig();
    expect(termsFor('mer_01JNJ3Y7ZQ8M4N5P6Q7R8S9T0V')).toMatchObject({ feeBps: 100, timeZone: 'Asia/Tokyo' });
    expect(termsFor('mer_other')).toMatchObject({ feeBps: 250, timeZone: 'UTC', feeFixed: { USD: 30 } });
  });

  it('a business day follows the merchant time zone', () => {
    const at = new Date('2026-03-02T02:30:00Z');
    expect(localDay(at, 'UTC')).toBe('2026-03-02');
    expect(localDay(at, 'America/Los_Angeles')).toBe('2026-03-01');
    expect(localDay(at, 'Asia/Tokyo')).toBe('2026-03-02');
    // A business day ends at local midnight, daylight saving time included.
    expect(startOfLocalDay('2026-03-02', 'UTC').toISOString()).toBe('2026-03-02T00:00:00.000Z');
    expect(startOfLocalDay('2026-03-02', 'America/Los_Angeles').toISOString()).toBe(
      '2026-03-02T08:00:00.000Z',
    );
    expect(startOfLocalDay('2026-07-02', 'America/Los_Angeles').toISOString()).toBe(
      '2026-07-02T07:00:00.000Z',
    );
    expect(startOfLocalDay('2026-03-09', 'America/New_York').toISOString()).toBe('2026-03-09T04:00:00.000Z');
    expect(startOfLocalDay('2026-03-02', 'Asia/Tokyo').toISOString()).toBe('2026-03-01T15:00:00.000Z');
  });
});

describe('ledger entries', () => {
  it('every entry is balanced double entry, with gross − fee = net', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e9 }), fc.integer({ min: 0, max: 1e9 }), (gross, rawFee) => {
        const fee = Math.min(gross, rawFee);
        for (const [kind, g, f] of [
          ['capture', gross, fee],
          ['refund', -gross, -fee],
          ['dispute_liability', -gross, 0],
          ['payout', -gross, 0],
        ] as const) {
          const legs = postingsOf({ kind, merchantId: 'mer_x', gross: g, fee: f, net: g - f });
          expect(legs.reduce((sum, leg) => sum + leg.amount, 0)).toBe(0);
          expect(legs.find((l) => l.account === 'merchant_payable:mer_x')?.amount).toBe(-(g - f) || 0);
        }
      }),
    );
    expect(() => postingsOf({ kind: 'capture', merchantId: 'm', gross: 100, fee: 3, net: 96 })).toThrow(
      /unbalanced/,
    );
  });

  it('feeds only captures and refunds; installment outcomes never move the merchant balance', () => {
    const payload = (type: string, data: Record<string, unknown>) =>
      JSON.stringify({ id: 'evt_1', object: 'event', type, objectId: 'ord_1', sequence: 2, data });
    const movement = { id: 'cap_1', amount: 10_000, currency: 'USD', createdAt: '2026-03-02T10:00:00.000Z' };
    const image = (eventType: string, data: Record<string, unknown>) => ({
      type: 'webhookEvent',
      merchantId: 'mer_1',
      eventType,
      payload: payload(eventType, data),
    });
    expect(entryFromEvent(image('order.captured', { capture: movement }))).toMatchObject({
      id: 'cap_1',
      kind: 'capture',
      gross: 10_000,
      fee: 320,
      net: 9_680,
    });
    expect(entryFromEvent(image('order.refunded', { refund: { ...movement, id: 'ref_1' } }))).toMatchObject({
      id: 'ref_1',
      kind: 'refund',
      gross: -10_000,
      fee: -290,
      net: -9_710,
    });
    for (const type of [
      'installment.paid',
      'installment.failed',
      'order.late_fee_charged',
      'order.in_arrears',
    ]) {
      expect(entryFromEvent(image(type, { installment: { amount: 2_500 } }))).toBeUndefined();
    }
    expect(
      entryFromEvent({ ...image('order.captured', { capture: movement }), type: 'order' }),
    ).toBeUndefined();
    // A fraud-confirmed dispute's credit (order.refunded with no refund movement) is Tessera's loss:
    // nothing for the merchant ledger, and no parse failure that would stall the feed on it.
    expect(entryFromEvent(image('order.refunded', { id: 'ord_1', status: 'refunded' }))).toBeUndefined();
  });

  it('the stream filter deployed in AWS lets through exactly the event types the feed enters', () => {
    expect([...LEDGER_FEED_EVENT_TYPES]).toEqual([...LEDGER_EVENT_TYPES]);
  });
});

describe('fraud liability rule (docs/adr/0020)', () => {
  it('Tessera bears confirmed fraud unless the merchant broke the fulfilment rules', () => {
    expect(merchantLiableForFraud({ kind: 'digital' }).liable).toBe(false);
    expect(
      merchantLiableForFraud({ kind: 'shipped', shippedToOrderAddress: true, trackingRecorded: true }),
    ).toEqual({ liable: false, rule: 'seller_protected' });
    expect(
      merchantLiableForFraud({ kind: 'shipped', shippedToOrderAddress: false, trackingRecorded: true }),
    ).toEqual({ liable: true, rule: 'shipped_to_other_address' });
    expect(
      merchantLiableForFraud({ kind: 'shipped', shippedToOrderAddress: true, trackingRecorded: false }),
    ).toEqual({ liable: true, rule: 'no_tracking_recorded' });
  });
});
