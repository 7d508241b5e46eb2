import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock, setClock } from '../../functions/lib/clock.ts';
import { resetConfig } from '../../functions/lib/config.ts';
import { newId } from '../../functions/lib/ids.ts';
import { recordFraudDisputeOutcome } from '../../functions/settlements/liability.ts';
import { runPayouts } from '../../functions/settlements/payouts.ts';
import { routes } from '../../infra/routes/index.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { checkoutFixtures, idempotencyKey, type Json } from '../support/checkout.ts';
import { merchantOverHttp } from '../support/merchants.ts';

// The gateway, the ledger feed and the payout job run in-process on this clock: each test moves it
// through the business days it plays (an entry belongs to the day it was recorded in).
const clock = fixedClock('2026-03-02T10:00:00Z');
let app: TestApp;
beforeAll(async () => {
  setClock(clock);
  app = await startTestApp();
});
afterAll(async () => {
  await app?.close();
  setClock(undefined);
});

const { newMerchant, newShopper, merchantPost, authorizedOrder, capturedOrder } = checkoutFixtures(() => app);

type Line = { entryId: string; type: string; orderId?: string; gross: number; fee: number; net: number };
type Payout = Json & { id: string; amount: number; status: string; lineCount: number; lines: Line[] };

/** The default terms (functions/settlements/terms.ts): 2.9% rounded half up, plus 30 cents in USD. */
const captureFee = (gross: number) => Math.floor((gross * 290 + 5_000) / 10_000) + 30;
const refundFee = (amount: number) => Math.floor((amount * 290) / 10_000);

const runPayoutsOver = async (asOf: string) => {
  const res = await app.call<Json & Record<string, number>>('POST', '/v1/admin/payouts', {
    auth: app.operator,
    body: { asOf },
  });
  expect(res.status, res.text).toBe(200);
  return res.json;
};

const get = <T = Json>(apiKey: string, path: string) => app.call<T>('GET', path, { auth: apiKey });

const refund = async (apiKey: string, orderId: string, amount: number) => {
  const res = await merchantPost<{ id: string }>(apiKey, `/v1/orders/${orderId}/refunds`, { amount });
  expect(res.status, res.text).toBe(201);
  return res.json;
};

/** Parses the RFC 4180 report (no field here needs quoting) into objects keyed by the header. */
function parseCsv(text: string): Record<string, string>[] {
  expect(text.endsWith('\r\n')).toBe(true);
  const [header, ...rows] = text.trimEnd().split('\r\n');
  const columns = (header ?? '').split(',');
  return rows.map((row) => Object.fromEntries(row.split(',').map((value, i) => [columns[i], value])));
}

const ledgerItems = async () =>
  ((await app.scanAll()).main ?? []).filter((item) => item.type === 'ledgerEntry');

describe('settlements and payouts', () => {
  it('a day of captures, refunds, a declined installment and a dispute: the payout is the ledger, to the minor unit', {
    timeout: 180_000,
  }, async () => {
    const merchant = await newMerchant('Ledger Shop');
    const shopper = await newShopper();
    const declining = await newShopper('4000000000000002');

    const a = await capturedOrder(merchant, shopper, 40_000);
    const b = await authorizedOrder(merchant, shopper, 25_000);
    expect(
      (await merchantPost(merchant.apiKey, `/v1/orders/${b.id}/captures`, { amount: 10_001 })).status,
    ).toBe(201);
    expect(
      (await merchantPost(merchant.apiKey, `/v1/orders/${b.id}/captures`, { amount: 14_999 })).status,
    ).toBe(201);
    // The shopper's card declines at capture: Tessera carries that risk; the merchant is owed in full.
    const c = await capturedOrder(merchant, declining, 12_345);
    await refund(merchant.apiKey, a.id, 5_000);
    await refund(merchant.apiKey, b.id, 3_333);
    // Fraud confirmed on order c: shipped without tracking, so the merchant is liable; on order a
    // the goods were digital, so Tessera bears it and no line appears.
    const liable = await recordFraudDisputeOutcome({
      disputeId: newId('dispute'),
      orderId: c.id,
      merchantId: merchant.id,
      currency: 'USD',
      amount: 2_000,
      fulfilment: { kind: 'shipped', shippedToOrderAddress: true, trackingRecorded: false },
      confirmedAt: new Date().toISOString(),
    });
    expect(liable).toMatchObject({ liable: true, rule: 'no_tracking_recorded' });
    const protectedOutcome = await recordFraudDisputeOutcome({
      disputeId: newId('dispute'),
      orderId: a.id,
      merchantId: merchant.id,
      currency: 'USD',
      amount: 1_000,
      fulfilment: { kind: 'digital' },
      confirmedAt: new Date().toISOString(),
    });
    expect(protectedOutcome).toEqual({ liable: false, rule: 'digital_goods_protected' });

    const expected =
      40_000 -
      captureFee(40_000) +
      (10_001 - captureFee(10_001)) +
      (14_999 - captureFee(14_999)) +
      (12_345 - captureFee(12_345)) -
      (5_000 - refundFee(5_000)) -
      (3_333 - refundFee(3_333)) -
      2_000;

    const run = await runPayoutsOver('2026-03-02');
    expect(run).toMatchObject({ paid: 1, failed: 0 });
    const list = await get<{ data: Payout[] }>(merchant.apiKey, '/v1/payouts');
    expect(list.status).toBe(200);
    expect(list.json.data).toHaveLength(1);
    const payoutId = list.json.data[0]?.id as string;
    const payout = await get<Payout>(merchant.apiKey, `/v1/payouts/${payoutId}`);
    expect(payout.json).toMatchObject({ amount: expected, status: 'paid', currency: 'USD', lineCount: 7 });
    const lines = payout.json.lines;
    expect(lines.map((l) => l.type).sort()).toEqual([
      'capture',
      'capture',
      'capture',
      'capture',
      'dispute_liability',
      'refund',
      'refund',
    ]);
    for (const line of lines) expect(line.gross - line.fee).toBe(line.net);
    expect(lines.reduce((sum, l) => sum + l.net, 0)).toBe(expected);
    expect(
      lines
        .filter((l) => l.orderId === b.id && l.type === 'capture')
        .map((l) => l.gross)
        .sort(),
    ).toEqual([10_001, 14_999]);

    const csv = await app.call('GET', `/v1/payouts/${payoutId}/report.csv`, { auth: merchant.apiKey });
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    const rows = parseCsv(csv.text);
    expect(rows).toHaveLength(7);
    expect(rows.reduce((sum, r) => sum + Number(r.net), 0)).toBe(expected);
    expect(rows.every((r) => r.payout_id === payoutId && r.currency === 'USD')).toBe(true);
    expect(rows.map((r) => r.entry_id).sort()).toEqual(lines.map((l) => l.entryId).sort());

    // payout.paid went out once, for this payout.
    const paidEvents = ((await app.scanAll()).main ?? []).filter(
      (item) => item.type === 'webhookEvent' && item.eventType === 'payout.paid',
    );
    expect(paidEvents.map((e) => e.objectId)).toEqual([payoutId]);

    // A rerun of the job, and the stream delivered again, pay and enter nothing twice.
    const entriesBefore = (await ledgerItems()).length;
    await app.ledgerFeed.drain();
    expect(await runPayoutsOver('2026-03-02')).toMatchObject({ paid: 0, alreadyPaid: 1 });
    expect(await runPayoutsOver('2026-03-03')).toMatchObject({ paid: 0, nothingToPay: 1 });
    expect((await ledgerItems()).length).toBe(entriesBefore);
    expect((await get<{ data: Payout[] }>(merchant.apiKey, '/v1/payouts')).json.data).toHaveLength(1);

    // Tenant isolation: another merchant sees no such payout.
    const other = await newMerchant('Elsewhere');
    expect((await get(other.apiKey, `/v1/payouts/${payoutId}`)).status).toBe(404);
    expect((await get(other.apiKey, `/v1/payouts/${payoutId}/report.csv`)).status).toBe(404);
    expect((await get<{ data: Payout[] }>(other.apiKey, '/v1/payouts')).json.data).toEqual([]);
  });

  it('a negative balance is carried over, never paid out negative, and reconciles in the next payout', {
    timeout: 180_000,
  }, async () => {
    clock.set('2026-04-01T10:00:00Z');
    const merchant = await newMerchant('Carry Shop');
    const shopper = await newShopper();
    const first = await capturedOrder(merchant, shopper, 10_000);
    const payouts = async () => (await get<{ data: Payout[] }>(merchant.apiKey, '/v1/payouts')).json.data;
    // (Counts are checked on this merchant's own payouts: the run pays every account of the table.)
    expect(await runPayoutsOver('2026-04-01')).toMatchObject({ failed: 0 });
    expect(await payouts()).toHaveLength(1);

    clock.set('2026-04-02T10:00:00Z');
    await refund(merchant.apiKey, first.id, 10_000);
    const carried = await runPayoutsOver('2026-04-02');
    expect(carried.carriedNegative).toBeGreaterThanOrEqual(1);
    expect(await payouts()).toHaveLength(1);

    clock.set('2026-04-03T10:00:00Z');
    // (A shopper session lasts less than a day: a new one for each day.)
    await capturedOrder(merchant, await newShopper(), 20_000);
    // The day that carried the refund is over: the 3 April capture is not in it.
    expect((await runPayoutsOver('2026-04-02')).carriedNegative).toBeGreaterThanOrEqual(1);
    expect(await payouts()).toHaveLength(1);
    await runPayoutsOver('2026-04-03');
    expect(await payouts()).toHaveLength(2);
    const [latest] = await payouts();
    const report = await get<Payout>(merchant.apiKey, `/v1/payouts/${latest?.id}`);
    const expected = 20_000 - captureFee(20_000) - (10_000 - refundFee(10_000));
    expect(report.json.amount).toBe(expected);
    expect(report.json.lines.map((l) => [l.type, l.net])).toEqual([
      ['refund', -(10_000 - refundFee(10_000))],
      ['capture', 20_000 - captureFee(20_000)],
    ]);
  });

  it('the hourly job pays each merchant once, for the business day that ended in its own time zone', {
    timeout: 180_000,
  }, async () => {
    clock.set('2026-05-01T20:00:00Z'); // noon in Los Angeles, 20:00 in London (UTC)
    const west = await newMerchant('West Coast');
    const utc = await newMerchant('Greenwich');
    process.env.SETTLEMENT_TERMS = JSON.stringify({ [west.id]: { timeZone: 'America/Los_Angeles' } });
    resetConfig();
    try {
      const shopper = await newShopper();
      await capturedOrder(west, shopper, 10_000);
      await capturedOrder(utc, shopper, 10_000);
      await app.ledgerFeed.drain();
      const days = async (m: { apiKey: string }) =>
        (await get<{ data: Payout[] }>(m.apiKey, '/v1/payouts')).json.data.map((p) => p.payoutDate);

      // 02:30 UTC on 2 May: London's 1 May is over, Los Angeles is still in it (19:30).
      clock.set('2026-05-02T02:30:00Z');
      expect(await runPayouts(undefined, clock)).toMatchObject({ failed: 0 });
      expect(await days(utc)).toEqual(['2026-05-01']);
      expect(await days(west)).toEqual([]);

      // 09:00 UTC is 02:00 in Los Angeles: its 1 May is over and paid, once.
      clock.set('2026-05-02T09:00:00Z');
      await runPayouts(undefined, clock);
      expect(await days(west)).toEqual(['2026-05-01']);
      await capturedOrder(west, await newShopper(), 5_000);
      clock.set('2026-05-02T10:00:00Z');
      await runPayouts(undefined, clock);
      expect(await days(west)).toEqual(['2026-05-01']);
      expect(await days(utc)).toEqual(['2026-05-01']);
    } finally {
      delete process.env.SETTLEMENT_TERMS;
      resetConfig();
    }
  });

  it('a merchant under review is refused on every payment route with a clear error, and may read and set up', async () => {
    const pending = await merchantOverHttp(app, { name: 'Under Review' }, { active: false });
    expect(pending.status).toBe('pending_review');
    const paymentRoutes = routes.filter(
      (r) => r.auth === 'merchant' && r.method !== 'GET' && !r.path.startsWith('/v1/webhook-endpoints'),
    );
    expect(paymentRoutes.map((r) => r.path)).toEqual(
      expect.arrayContaining([
        '/v1/checkout-sessions',
        '/v1/orders',
        '/v1/orders/{id}/captures',
        '/v1/orders/{id}/refunds',
      ]),
    );
    const before = await app.scanAll();
    for (const route of paymentRoutes) {
      const path = route.path.replaceAll(/\{[^}]+\}/g, 'ord_01JNJ3Y7ZQ8M4N5P6Q7R8S9T0V');
      const res = await app.call(route.method, path, {
        auth: pending.apiKey,
        headers: { 'Idempotency-Key': idempotencyKey() },
        body: { amount: 1_000, currency: 'USD', merchantReference: 'r-1' },
      });
      expect([route.operationId, res.status]).toEqual([route.operationId, 403]);
      expect(res.json).toMatchObject({
        error: {
          type: 'permission_error',
          code: 'merchant_pending_review',
          message: expect.stringContaining('compliance review'),
        },
      });
    }
    expect(await app.scanAll()).toEqual(before);
    expect((await get(pending.apiKey, '/v1/config')).status).toBe(200);
    expect((await get(pending.apiKey, '/v1/payouts')).status).toBe(200);

    // The operator's approval opens payments at once.
    const approved = await app.call('POST', `/v1/admin/merchants/${pending.id}/activate`, {
      auth: app.operator,
    });
    expect(approved.json).toMatchObject({ status: 'active' });
    const session = await merchantPost(pending.apiKey, '/v1/checkout-sessions', {
      amount: 10_000,
      currency: 'USD',
      merchantReference: 'after-approval',
    });
    expect(session.status, session.text).toBe(201);
  });

  it('operators list and read merchants with their status; KYB over HTTP decides by the sandbox rule', async () => {
    const business = (registrationNumber: string) => ({
      legalName: 'Kyb Co',
      registrationNumber,
      country: 'US',
    });
    const ok = await merchantOverHttp(
      app,
      { name: 'Kyb OK', business: business('12345678') },
      { active: false },
    );
    expect(ok.status).toBe('active');
    const no = await merchantOverHttp(
      app,
      { name: 'Kyb No', business: business('12340000') },
      { active: false },
    );
    expect(no.status).toBe('rejected');
    const rejectedCall = await merchantPost(no.apiKey, '/v1/checkout-sessions', {
      amount: 10_000,
      currency: 'USD',
      merchantReference: 'nope',
    });
    expect(rejectedCall.json).toMatchObject({ error: { code: 'merchant_rejected' } });

    const one = await app.call<Json>('GET', `/v1/admin/merchants/${no.id}`, { auth: app.operator });
    expect(one.json).toMatchObject({
      id: no.id,
      status: 'rejected',
      kyb: { status: 'rejected', provider: 'sandbox' },
    });
    const rejected = await app.call<{ data: Json[] }>('GET', '/v1/admin/merchants?status=rejected', {
      auth: app.operator,
    });
    expect(rejected.json.data.map((m) => m.id)).toContain(no.id);
    expect(rejected.json.data.every((m) => m.status === 'rejected')).toBe(true);
    expect((await app.call('GET', '/v1/admin/merchants', {})).status).toBe(401);
  });
});
