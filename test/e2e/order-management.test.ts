import { describe, expect, it } from 'vitest';
import { DAY_MS, fixedClock, isoDay } from '../../functions/lib/clock.ts';
import { appWithClock } from '../support/app.ts';
import { checkoutFixtures, type Json } from '../support/checkout.ts';

// Order data and order management (issue 13) over HTTP, under an injected clock that only moves forward.
const START = Date.parse('2026-04-06T10:00:00Z');
const clock = fixedClock(new Date(START));
const testApp = appWithClock(clock);
const {
  newMerchant,
  newShopper,
  merchantPost,
  openSession,
  approve,
  authorizedOrder,
  runCollection,
  events,
} = checkoutFixtures(testApp);

type Order = Json & { id: string; status: string; version: number; outstandingAmount: number };

const line = (reference: string, quantity: number, unitPrice: number, extra: Json = {}) => ({
  reference,
  name: `Item ${reference}`,
  quantity,
  unitPrice,
  totalAmount: quantity * unitPrice - Number(extra.totalDiscountAmount ?? 0),
  ...extra,
});

async function getOrder(apiKey: string, id: string): Promise<Order> {
  const res = await testApp().call<Order>('GET', `/v1/orders/${id}`, { auth: apiKey });
  expect(res.status, res.text).toBe(200);
  return res.json;
}

/** Every item of the main table, as a count per type: "nothing written" compares two of these. */
async function itemCounts(): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const item of (await testApp().scanAll()).main ?? []) {
    // Idempotency records and request-rate windows are written by every request, refused or not.
    const type = String(item.type ?? item.pk).split('#')[0] ?? '';
    if (/^(idempotency|IDEM|RATE)/i.test(type)) continue;
    counts[type] = (counts[type] ?? 0) + 1;
  }
  return counts;
}

describe('order data on checkout sessions and orders', () => {
  it('lines, shipping, tax and addresses go from the session to the order', async () => {
    const merchant = await newMerchant();
    const shopper = await newShopper();
    const lines = [
      line('SKU-1', 2, 12_500, { taxRate: 2000, totalTaxAmount: 4167 }),
      line('SHIP', 1, 990, { type: 'shipping_fee' }),
      line('SAVE10', 1, -990, { type: 'discount' }),
    ];
    const address = {
      name: 'Ann Lee',
      line1: '1 Main St',
      city: 'Springfield',
      postalCode: '12345',
      country: 'US',
    };
    const session = await openSession(merchant.apiKey, 25_000, {
      lines,
      shippingAmount: 990,
      taxAmount: 4167,
      shippingAddress: address,
    });
    expect(session).toMatchObject({ shippingAmount: 990, taxAmount: 4167, shippingAddress: address });
    const approval = await approve(shopper, session.id);
    expect(approval.status, approval.text).toBe(200);
    const order = await merchantPost<Order>(merchant.apiKey, '/v1/orders', {
      authorizationToken: approval.json.authorizationToken,
    });
    expect(order.status, order.text).toBe(201);
    const got = await getOrder(merchant.apiKey, order.json.id);
    expect(got).toMatchObject({
      amount: 25_000,
      shippingAmount: 990,
      taxAmount: 4167,
      shippingAddress: address,
    });
    expect((got.lines as Json[]).map((l) => [l.reference, l.type, l.totalAmount])).toEqual([
      ['SKU-1', 'physical', 25_000],
      ['SHIP', 'shipping_fee', 990],
      ['SAVE10', 'discount', -990],
    ]);
  });

  it('lines that do not add up are refused, naming the first bad line, with nothing written', async () => {
    const merchant = await newMerchant();
    const before = await itemCounts();
    const res = await merchantPost(merchant.apiKey, '/v1/checkout-sessions', {
      amount: 3_000,
      currency: 'USD',
      merchantReference: 'cart-bad',
      lines: [
        line('A', 1, 1_000),
        { ...line('B', 2, 500), totalAmount: 999 },
        { ...line('C', 1, 1_000), totalAmount: 1 },
      ],
    });
    expect(res.status, res.text).toBe(400);
    expect(res.json).toMatchObject({ error: { code: 'order_lines_mismatch', param: 'lines.1.totalAmount' } });
    expect(await itemCounts()).toEqual(before);
  });
});

describe('release the remaining authorization', { timeout: 240_000 }, () => {
  it('partial capture, release, then paid_off when the installments are paid', async () => {
    const merchant = await newMerchant();
    const order = await authorizedOrder(merchant, await newShopper(), 40_000);
    const capture = await merchantPost(merchant.apiKey, `/v1/orders/${order.id}/captures`, {
      amount: 30_000,
    });
    expect(capture.status, capture.text).toBe(201);
    for (const days of [14, 28]) {
      clock.set(new Date(START + days * DAY_MS));
      expect(await runCollection(isoDay(clock.now()))).toMatchObject({ paid: 1 });
    }
    expect(await getOrder(merchant.apiKey, order.id)).toMatchObject({
      status: 'captured',
      remainingAuthorizedAmount: 10_000,
    });

    const released = await merchantPost<Order>(
      merchant.apiKey,
      `/v1/orders/${order.id}/release-remaining-authorization`,
    );
    expect(released.status, released.text).toBe(200);
    expect(released.json).toMatchObject({ status: 'captured', remainingAuthorizedAmount: 0 });
    // Released: nothing more can be captured.
    const more = await merchantPost(merchant.apiKey, `/v1/orders/${order.id}/captures`, { amount: 100 });
    expect(more.json).toMatchObject({ error: { code: 'authorization_expired' } });

    clock.set(new Date(START + 42 * DAY_MS));
    expect(await runCollection(isoDay(clock.now()))).toMatchObject({ paid: 1 });
    expect(await getOrder(merchant.apiKey, order.id)).toMatchObject({
      status: 'paid_off',
      outstandingAmount: 0,
    });
    const types = (await events(order.id)).map((e) => e.type);
    expect(types).toContain('order.authorization_released');
    expect(types.at(-1)).toBe('order.paid_off');
    // A second release has nothing left to release.
    const again = await merchantPost(
      merchant.apiKey,
      `/v1/orders/${order.id}/release-remaining-authorization`,
    );
    expect([again.status, (again.json as Json & { error: Json }).error.code]).toEqual([
      422,
      'nothing_to_release',
    ]);
  });

  it('nothing captured, or nothing left: 422 nothing_to_release, nothing written', async () => {
    const merchant = await newMerchant();
    const shopper = await newShopper();
    const order = await authorizedOrder(merchant, shopper, 20_000);
    const full = await authorizedOrder(merchant, shopper, 20_000);
    const captured = await merchantPost(merchant.apiKey, `/v1/orders/${full.id}/captures`, {
      amount: 20_000,
    });
    expect(captured.status).toBe(201);
    const other = await newMerchant('Other');
    const before = await itemCounts();
    for (const id of [order.id, full.id]) {
      const res = await merchantPost(merchant.apiKey, `/v1/orders/${id}/release-remaining-authorization`);
      expect(res.status, res.text).toBe(422);
      expect(res.json).toMatchObject({ error: { code: 'nothing_to_release' } });
    }
    const foreign = await merchantPost(
      other.apiKey,
      `/v1/orders/${order.id}/release-remaining-authorization`,
    );
    expect(foreign.status).toBe(404);
    expect(await itemCounts()).toEqual(before);
  });
});

describe('update an authorized order', () => {
  it('reduces the amount and replaces the lines (versioned, with order.updated); refuses an increase', async () => {
    const merchant = await newMerchant();
    const session = await openSession(merchant.apiKey, 30_000, { lines: [line('A', 3, 10_000)] });
    const approval = await approve(await newShopper(), session.id);
    const created = await merchantPost<Order>(merchant.apiKey, '/v1/orders', {
      authorizationToken: approval.json.authorizationToken,
    });
    const id = created.json.id;
    const path = `/v1/orders/${id}`;

    const before = await itemCounts();
    for (const [body, status, code, param] of [
      [{ amount: 30_001 }, 422, 'authorization_increase_not_allowed', 'amount'],
      // The old lines do not add up to a new amount: send the new lines with it.
      [{ amount: 20_000 }, 400, 'order_lines_mismatch', 'lines'],
      [
        { amount: 20_000, lines: [line('A', 2, 10_000), { ...line('B', 1, 5), totalAmount: 4 }] },
        400,
        'order_lines_mismatch',
        'lines.1.totalAmount',
      ],
      [{ merchantReference: 'x', version: 99 }, 409, 'order_version_mismatch', undefined],
      [{ version: 1 }, 400, 'parameter_invalid', undefined],
      [{ amount: 0 }, 400, undefined, 'amount'],
      [{ colour: 'red' }, 400, 'parameter_unknown', 'colour'],
    ] as const) {
      const res = await merchantPost<{ error: Json }>(merchant.apiKey, path, body);
      expect(res.status, res.text).toBe(status);
      if (code) expect(res.json.error.code).toBe(code);
      if (param) expect(res.json.error.param).toBe(param);
    }
    expect(await itemCounts()).toEqual(before);

    const updated = await merchantPost<Order>(merchant.apiKey, path, {
      amount: 20_000,
      lines: [line('A', 2, 10_000)],
      merchantReference: 'cart-renamed',
      version: created.json.version,
    });
    expect(updated.status, updated.text).toBe(200);
    expect(updated.json).toMatchObject({
      amount: 20_000,
      merchantReference: 'cart-renamed',
      version: created.json.version + 1,
      remainingAuthorizedAmount: 20_000,
    });
    expect((await events(id)).at(-1)).toEqual({ type: 'order.updated', sequence: created.json.version + 1 });
    // Found by its new reference, not by the old one.
    const byNew = await testApp().call<{ data: Order[] }>(
      'GET',
      '/v1/orders?merchantReference=cart-renamed',
      {
        auth: merchant.apiKey,
      },
    );
    expect(byNew.json.data.map((o) => o.id)).toEqual([id]);
    const byOld = await testApp().call<{ data: Order[] }>(
      'GET',
      `/v1/orders?merchantReference=${encodeURIComponent(String((session as Json).merchantReference ?? ''))}`,
      { auth: merchant.apiKey },
    );
    expect(byOld.json.data).toEqual([]);
    // Captured in full: the amount can no longer change, the reference can.
    expect((await merchantPost(merchant.apiKey, `${path}/captures`, { amount: 20_000 })).status).toBe(201);
    const closed = await merchantPost<{ error: Json }>(merchant.apiKey, path, { amount: 10_000 });
    expect([closed.status, closed.json.error.code]).toEqual([422, 'order_not_updatable']);
    expect((await merchantPost(merchant.apiKey, path, { merchantReference: 'cart-3' })).status).toBe(200);
  });
});

describe('captures and refunds with lines, references and shipping info', () => {
  it('stores them, serves them as resources, and adds shipping info later', async () => {
    const merchant = await newMerchant();
    const order = await authorizedOrder(merchant, await newShopper(), 40_000);
    const base = `/v1/orders/${order.id}`;
    const capture = await merchantPost<Json & { id: string }>(merchant.apiKey, `${base}/captures`, {
      amount: 25_000,
      lines: [line('LAMP', 1, 20_000), line('BULB', 5, 1_000)],
      reference: 'shipment-1',
      shippingInfo: [
        { carrier: 'UPS', trackingNumber: '1Z999AA1', trackingUrl: 'https://ups.example/t/1Z999AA1' },
      ],
    });
    expect(capture.status, capture.text).toBe(201);
    expect(capture.json).toMatchObject({
      reference: 'shipment-1',
      shippingInfo: [{ carrier: 'UPS', trackingNumber: '1Z999AA1' }],
    });

    const added = await merchantPost<Json>(
      merchant.apiKey,
      `${base}/captures/${capture.json.id}/shipping-info`,
      {
        shippingInfo: [{ carrier: 'DHL', trackingNumber: 'JD0001', method: 'PickUpPoint' }],
      },
    );
    expect(added.status, added.text).toBe(200);
    expect((added.json.shippingInfo as Json[]).map((s) => s.carrier)).toEqual(['UPS', 'DHL']);

    const refund = await merchantPost<Json & { id: string }>(merchant.apiKey, `${base}/refunds`, {
      amount: 2_000,
      orderLines: [line('BULB', 2, 1_000)],
      reference: 'return-7',
    });
    expect(refund.status, refund.text).toBe(201);
    expect(refund.json).toMatchObject({
      reference: 'return-7',
      orderLines: [{ reference: 'BULB', totalAmount: 2_000 }],
    });

    const get = (path: string) =>
      testApp().call<Json & { data: Json[] }>('GET', path, { auth: merchant.apiKey });
    const one = await get(`${base}/captures/${capture.json.id}`);
    expect(one.json).toMatchObject({
      id: capture.json.id,
      amount: 25_000,
      refundedAmount: 2_000,
      reference: 'shipment-1',
    });
    expect((one.json.lines as Json[]).map((l) => l.reference)).toEqual(['LAMP', 'BULB']);
    expect((await get(`${base}/captures`)).json.data.map((c) => c.id)).toEqual([capture.json.id]);
    expect((await get(`${base}/refunds/${refund.json.id}`)).json).toMatchObject({
      id: refund.json.id,
      amount: 2_000,
    });
    expect((await get(`${base}/refunds`)).json.data.map((r) => r.id)).toEqual([refund.json.id]);

    // Another merchant sees none of it.
    const other = await newMerchant('Other');
    const foreign = await testApp().call('GET', `${base}/captures/${capture.json.id}`, {
      auth: other.apiKey,
    });
    expect(foreign.status).toBe(404);
  });

  it('bad input to the new capture, refund and shipping routes: a clear 4xx, nothing written', async () => {
    const merchant = await newMerchant();
    const order = await authorizedOrder(merchant, await newShopper(), 40_000);
    const base = `/v1/orders/${order.id}`;
    const capture = await merchantPost<Json & { id: string }>(merchant.apiKey, `${base}/captures`, {
      amount: 10_000,
    });
    const before = await itemCounts();
    const missingCapture = `${base}/captures/cap_01JNJ3Y7ZQ8M4N5P6Q7R8S9T0V/shipping-info`;
    for (const [path, body, status, param] of [
      [`${base}/captures`, { amount: 5_000, lines: [line('A', 1, 4_999)] }, 400, 'amount'],
      [
        `${base}/captures`,
        {
          amount: 5_000,
          shippingInfo: [{ carrier: 'UPS', trackingNumber: '1', trackingUrl: 'http://x.example/' }],
        },
        400,
        'shippingInfo.0.trackingUrl',
      ],
      [
        `${base}/refunds`,
        { amount: 100, orderLines: [{ ...line('A', 1, 100), totalAmount: 99 }] },
        400,
        'orderLines.0.totalAmount',
      ],
      [`${base}/captures/${capture.json.id}/shipping-info`, { shippingInfo: [] }, 400, 'shippingInfo'],
      [
        `${base}/captures/${capture.json.id}/shipping-info`,
        { shippingInfo: [{ carrier: 'UPS' }] },
        400,
        'shippingInfo.0.trackingNumber',
      ],
      [
        `${base}/captures/not-a-capture/shipping-info`,
        { shippingInfo: [{ carrier: 'UPS', trackingNumber: '1' }] },
        400,
        'captureId',
      ],
      [missingCapture, { shippingInfo: [{ carrier: 'UPS', trackingNumber: '1' }] }, 404, 'captureId'],
    ] as const) {
      const res = await merchantPost<{ error: Json }>(merchant.apiKey, path, body);
      expect([res.status, res.json.error?.param], res.text).toEqual([status, param]);
    }
    expect(await itemCounts()).toEqual(before);
  });
});

describe('list orders by status, creation range and merchantReference (Query, no Scan)', () => {
  it('filters and pages', async () => {
    const merchant = await newMerchant();
    const shopper = await newShopper();
    const t0 = clock.now().getTime();
    const first = await authorizedOrder(merchant, shopper, 10_000);
    clock.set(new Date(t0 + 60_000));
    const second = await authorizedOrder(merchant, shopper, 10_000);
    clock.set(new Date(t0 + 120_000));
    const third = await authorizedOrder(merchant, shopper, 10_000);
    expect(
      (await merchantPost(merchant.apiKey, `/v1/orders/${second.id}/captures`, { amount: 10_000 })).status,
    ).toBe(201);
    const list = async (query: string) => {
      const res = await testApp().call<{ data: Order[]; hasMore: boolean; nextCursor?: string }>(
        'GET',
        `/v1/orders?${query}`,
        { auth: merchant.apiKey },
      );
      expect(res.status, res.text).toBe(200);
      return res.json;
    };
    expect((await list('status=captured')).data.map((o) => o.id)).toEqual([second.id]);
    expect((await list('status=authorized')).data.map((o) => o.id)).toEqual([third.id, first.id]);
    const from = new Date(t0 + 30_000).toISOString();
    const to = new Date(t0 + 90_000).toISOString();
    expect((await list(`createdFrom=${from}&createdTo=${to}`)).data.map((o) => o.id)).toEqual([second.id]);
    expect((await list(`status=authorized&createdFrom=${from}`)).data.map((o) => o.id)).toEqual([third.id]);
    expect((await list(`merchantReference=${first.merchantReference}`)).data.map((o) => o.id)).toEqual([
      first.id,
    ]);
    // Both filters: the reference's orders in that status.
    const ref = encodeURIComponent(String(first.merchantReference));
    expect((await list(`merchantReference=${ref}&status=authorized`)).data.map((o) => o.id)).toEqual([
      first.id,
    ]);
    expect((await list(`merchantReference=${ref}&status=captured`)).data).toEqual([]);
    const page1 = await list('status=authorized&limit=1');
    expect([page1.data.map((o) => o.id), page1.hasMore]).toEqual([[third.id], true]);
    const page2 = await list(`status=authorized&limit=1&startingAfter=${page1.nextCursor}`);
    expect([page2.data.map((o) => o.id), page2.hasMore]).toEqual([[first.id], false]);
    const reversed = await testApp().call('GET', `/v1/orders?createdFrom=${to}&createdTo=${from}`, {
      auth: merchant.apiKey,
    });
    expect(reversed.status).toBe(400);
  });
});

describe('autoCapture on order creation (digital goods)', () => {
  it('creates the order captured in full, first installment charged, with both events in order', async () => {
    const merchant = await newMerchant();
    const session = await openSession(merchant.apiKey, 12_000);
    const approval = await approve(await newShopper(), session.id);
    const res = await merchantPost<Order & { captures: Json[] }>(merchant.apiKey, '/v1/orders', {
      authorizationToken: approval.json.authorizationToken,
      autoCapture: true,
    });
    expect(res.status, res.text).toBe(201);
    expect(res.json).toMatchObject({
      status: 'captured',
      capturedAmount: 12_000,
      remainingAuthorizedAmount: 0,
      version: 2,
    });
    expect(res.json.captures).toHaveLength(1);
    const got = await getOrder(merchant.apiKey, res.json.id);
    expect((got.installments as Json[]).map((i) => i.status)).toEqual(['paid', 'due', 'due', 'due']);
    expect((await events(res.json.id)).slice(0, 2)).toEqual([
      { type: 'order.authorized', sequence: 1 },
      { type: 'order.captured', sequence: 2 },
    ]);
    const bad = await merchantPost(merchant.apiKey, '/v1/orders', {
      authorizationToken: approval.json.authorizationToken,
      autoCapture: 'yes',
    });
    expect(bad.status).toBe(400);
  });
});
