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
