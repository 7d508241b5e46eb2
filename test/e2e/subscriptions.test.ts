import { describe, expect, it } from 'vitest';
import { fixedClock, isoDay } from '../../functions/lib/clock.ts';
import { appWithClock } from '../support/app.ts';
import type { Json } from '../support/checkout.ts';
import { signIn, stepUp } from '../support/customers.ts';
import { MONTHLY_AGREEMENT, subscriptionFixtures } from '../support/subscriptions.ts';

// Issue 17. The gateway and the collection pipeline run in-process on this clock; time only moves
// forward through the file (each test starts after the previous one's last day).
const clock = fixedClock(new Date('2027-01-31T10:00:00Z'));
const testApp = appWithClock(clock);
const {
  newMerchant,
  newShopper,
  merchantPost,
  collectOn: collect,
  events,
  customerToken,
  subscribe,
  subscription,
  periods,
  counts,
} = subscriptionFixtures(testApp, clock);

const SOFT_DECLINE = '4000000000009995';

type Run = Json & {
  paid: number;
  failed: { soft: number; hard: number };
  renewals: { due: number; renewed: number; canceled: number; riskRefused: number; skipped: number };
};

const collectOn = (day: string) => collect<Run>(day);

const PLAY = { timeout: 240_000 };

describe('subscriptions renew through collection, exact across month ends', PLAY, () => {
  it('a monthly subscription from Jan 31 renews Feb 28, Mar 31, Apr 30, each period charged once', async () => {
    const merchant = await newMerchant();
    const shopper = await newShopper();
    const token = await customerToken(merchant, shopper);
    const sub = await subscribe(merchant.apiKey, {
      customerToken: token,
      amount: 2_500,
      currency: 'USD',
      interval: 'month',
      intervalCount: 1,
    });
    expect(sub).toMatchObject({
      status: 'active',
      billingAnchor: '2027-01-31',
      nextBillingDate: '2027-01-31',
    });

    const billed: string[] = [];
    for (const day of ['2027-01-31', '2027-02-28', '2027-03-31', '2027-04-30']) {
      // The day before renews nothing (not for Mar 31 or Apr 30 either: the anchor is the 31st).
      if (day !== '2027-01-31') {
        const before = await collectOn(isoDay(new Date(Date.parse(`${day}T00:00:00Z`) - 86_400_000)));
        expect(before.renewals.renewed).toBe(0);
      }
      const run = await collectOn(day);
      expect(run.renewals).toMatchObject({ due: 1, renewed: 1 });
      expect(run.paid).toBe(1);
      // A second run the same day renews and charges nothing: exactly once per period.
      const again = await collectOn(day);
      expect(again.renewals.renewed).toBe(0);
      expect(again.paid).toBe(0);
      billed.push(day);
    }
    const orders = await periods(sub.id);
    expect(orders.map((o) => o.day)).toEqual(billed);
    expect(orders.map((o) => o.charges)).toEqual([1, 1, 1, 1]);
    expect(orders.every((o) => o.status === 'paid_off' && o.amount === 2_500)).toBe(true);
    expect(await subscription(merchant.apiKey, sub.id)).toMatchObject({
      status: 'active',
      periodsBilled: 4,
      nextBillingDate: '2027-05-31',
    });
    const types = (await events(sub.id)).map((e) => e.type);
    expect(types).toEqual(['subscription.created', ...billed.map(() => 'subscription.renewed')]);
    // Canceled now: out of the due index, `subscription.canceled`.
    const canceled = await merchantPost(merchant.apiKey, `/v1/subscriptions/${sub.id}/cancel`, {});
    expect(canceled.status, canceled.text).toBe(200);
    expect(canceled.json).toMatchObject({
      status: 'canceled',
      cancelReason: 'requested',
      nextBillingDate: null,
    });
    expect((await collectOn('2027-05-31')).renewals.due).toBe(0);
  });

  it('a soft decline goes through dunning to past_due, then recovers once the shopper sets another card', async () => {
    clock.set(new Date('2027-06-01T10:00:00Z'));
    const merchant = await newMerchant();
    const shopper = await newShopper(SOFT_DECLINE);
    const token = await customerToken(merchant, shopper);
    const sub = await subscribe(merchant.apiKey, {
      customerToken: token,
      amount: 3_000,
      currency: 'USD',
      interval: 'month',
    });

    const first = await collectOn('2027-06-01');
    expect(first.failed.soft).toBe(1);
    expect(await subscription(merchant.apiKey, sub.id)).toMatchObject({ status: 'active' });
    // The dunning schedule (+1, +3, +7 days): the last retry spent, the subscription is past_due.
    for (const day of ['2027-06-02', '2027-06-04']) expect((await collectOn(day)).failed.soft).toBe(1);
    expect((await collectOn('2027-06-08')).failed.soft).toBe(1);
    const pastDue = await subscription(merchant.apiKey, sub.id);
    expect(pastDue.status).toBe('past_due');
    const types = (await events(sub.id)).map((e) => e.type);
    expect(types.filter((t) => t === 'subscription.payment_failed')).toHaveLength(4);
    expect(types.at(-1)).toBe('subscription.past_due');

    // The shopper adds a good card and sets it on the period in arrears and on the agreement.
    const session = await signIn(testApp(), shopper.email, shopper.password);
    const card = await testApp().call<{ token: string }>('POST', '/v1/me/cards', {
      auth: session,
      headers: { 'Step-Up-Token': await stepUp(testApp(), session, 'add_card') },
      body: { number: '4242424242424242', expMonth: 12, expYear: 2030, cvc: '123' },
    });
    expect(card.status, card.text).toBe(201);
    const moved = await testApp().call('PUT', `/v1/me/orders/${pastDue.latestOrderId}/card`, {
      auth: session,
      body: { cardToken: card.json.token },
    });
    expect(moved.status, moved.text).toBe(200);
    const agreed = await testApp().call('PUT', `/v1/me/agreements/${token}/card`, {
      auth: session,
      body: { cardToken: card.json.token },
    });
    expect(agreed.status, agreed.text).toBe(200);
    expect((await collectOn('2027-06-08')).paid).toBe(1);
    expect(await subscription(merchant.apiKey, sub.id)).toMatchObject({ status: 'active' });
    // The next period is charged on the new card.
    expect((await collectOn('2027-07-01')).paid).toBe(1);
    const orders = await periods(sub.id);
    expect(orders.map((o) => [o.day, o.status, o.cardLast4])).toEqual([
      ['2027-06-01', 'paid_off', '4242'],
      ['2027-07-01', 'paid_off', '4242'],
    ]);
    // Ended, so the renewals of the tests after this one are theirs alone.
    expect((await merchantPost(merchant.apiKey, `/v1/subscriptions/${sub.id}/cancel`, {})).status).toBe(200);
  });
});

describe('customer tokens: within the agreement, for its merchant only, revocable at once', PLAY, () => {
  it('charges within limits; refuses over the maximum and another merchant, writing nothing', async () => {
    clock.set(new Date('2027-07-02T10:00:00Z'));
    const merchant = await newMerchant();
    const other = await newMerchant('Other shop');
    const shopper = await newShopper();
    const token = await customerToken(merchant, shopper, { ...MONTHLY_AGREEMENT, cadence: 'on_demand' });

    const order = await merchantPost<Json & { id: string; status: string; customerToken: string }>(
      merchant.apiKey,
      `/v1/customer-tokens/${token}/orders`,
      { amount: 5_000, currency: 'USD', merchantReference: 'top-up-1' },
    );
    expect(order.status, order.text).toBe(201);
    expect(order.json).toMatchObject({
      status: 'captured',
      customerToken: token,
      plan: { id: 'subscription' },
    });
    const read = await testApp().call<Json & { status: string }>('GET', `/v1/orders/${order.json.id}`, {
      auth: merchant.apiKey,
    });
    expect(read.json.status).toBe('paid_off');

    const before = await counts('order', 'subscription', 'webhookEvent');
    const refusals: Array<[string, string, Json, number, string]> = [
      [
        merchant.apiKey,
        `/v1/customer-tokens/${token}/orders`,
        { amount: 5_001, currency: 'USD', merchantReference: 'x' },
        422,
        'amount_above_agreement_max',
      ],
      [
        merchant.apiKey,
        `/v1/customer-tokens/${token}/orders`,
        { amount: 100, currency: 'EUR', merchantReference: 'x' },
        422,
        'amount_above_agreement_max',
      ],
      [
        other.apiKey,
        `/v1/customer-tokens/${token}/orders`,
        { amount: 100, currency: 'USD', merchantReference: 'x' },
        404,
        'resource_missing',
      ],
      [
        other.apiKey,
        '/v1/subscriptions',
        { customerToken: token, amount: 100, currency: 'USD', interval: 'month' },
        422,
        'customer_token_invalid',
      ],
      [
        merchant.apiKey,
        '/v1/subscriptions',
        { customerToken: token, amount: 5_001, currency: 'USD', interval: 'month' },
        422,
        'amount_above_agreement_max',
      ],
    ];
    for (const [apiKey, path, body, status, code] of refusals) {
      const res = await merchantPost<{ error: { code: string } }>(apiKey, path, body);
      expect([res.status, res.json.error?.code], `${path} ${JSON.stringify(body)}`).toEqual([status, code]);
    }
    expect(await counts('order', 'subscription', 'webhookEvent')).toEqual(before);
    const foreign = await testApp().call('GET', `/v1/customer-tokens/${token}`, { auth: other.apiKey });
    expect(foreign.status).toBe(404);

    // A monthly agreement admits a monthly subscription only.
    const monthly = await customerToken(merchant, shopper);
    const weekly = await merchantPost<{ error: { code: string } }>(merchant.apiKey, '/v1/subscriptions', {
      customerToken: monthly,
      amount: 500,
      currency: 'USD',
      interval: 'week',
    });
    expect([weekly.status, weekly.json.error.code]).toEqual([422, 'cadence_not_agreed']);
  });

  it('a revoked agreement is refused at once, and stops the next renewal; the merchant is told', async () => {
    clock.set(new Date('2027-07-03T10:00:00Z'));
    const merchant = await newMerchant();
    const shopper = await newShopper();
    const stranger = await newShopper();
    const token = await customerToken(merchant, shopper);
    const sub = await subscribe(merchant.apiKey, {
      customerToken: token,
      amount: 2_000,
      currency: 'USD',
      interval: 'month',
    });
    await collectOn('2027-07-03');
    expect((await periods(sub.id)).length).toBe(1);

    const mine = await testApp().call<{ data: Array<{ id: string; status: string; purpose: string }> }>(
      'GET',
      '/v1/me/agreements',
      { auth: shopper.sessionToken },
    );
    expect(mine.json.data).toEqual([
      expect.objectContaining({ id: token, status: 'active', purpose: MONTHLY_AGREEMENT.purpose }),
    ]);
    expect(
      (await testApp().call('DELETE', `/v1/me/agreements/${token}`, { auth: stranger.sessionToken })).status,
    ).toBe(404);
    const revoked = await testApp().call('DELETE', `/v1/me/agreements/${token}`, {
      auth: shopper.sessionToken,
    });
    expect(revoked.status, revoked.text).toBe(200);
    expect(revoked.json).toMatchObject({ status: 'revoked' });

    const refused = await merchantPost<{ error: { code: string } }>(
      merchant.apiKey,
      `/v1/customer-tokens/${token}/orders`,
      {
        amount: 100,
        currency: 'USD',
        merchantReference: 'after-revoke',
      },
    );
    expect([refused.status, refused.json.error.code]).toEqual([422, 'customer_token_revoked']);
    expect((await events(token)).map((e) => e.type)).toEqual(['customer_token.revoked']);

    const run = await collectOn('2027-08-03');
    expect(run.renewals).toMatchObject({ renewed: 0, canceled: 1 });
    expect(await subscription(merchant.apiKey, sub.id)).toMatchObject({
      status: 'canceled',
      cancelReason: 'agreement_revoked',
      periodsBilled: 1,
    });
    expect((await periods(sub.id)).length).toBe(1);
    expect((await events(sub.id)).map((e) => e.type).at(-1)).toBe('subscription.canceled');
  });

  it('pause, resume and a changed amount the shopper is told of before it is charged', async () => {
    clock.set(new Date('2027-08-04T10:00:00Z'));
    const merchant = await newMerchant();
    const shopper = await newShopper();
    const token = await customerToken(merchant, shopper);
    const sub = await subscribe(merchant.apiKey, {
      customerToken: token,
      amount: 1_000,
      currency: 'USD',
      interval: 'month',
      startDate: '2027-08-06',
      trialDays: 4,
    });
    expect(sub).toMatchObject({ billingAnchor: '2027-08-10', trialEnd: '2027-08-10' });
    const changed = await merchantPost(merchant.apiKey, `/v1/subscriptions/${sub.id}/amount`, {
      amount: 1_500,
    });
    expect(changed.status, changed.text).toBe(200);
    // Seven days' notice: the first period on or after Aug 11 is Sep 10.
    expect(changed.json).toMatchObject({
      amount: 1_000,
      pendingAmount: { amount: 1_500, effectiveDate: '2027-09-10' },
    });
    const outbox = await testApp().call<{ data: Array<{ subject: string; text: string }> }>(
      'GET',
      '/v1/me/outbox',
      {
        auth: shopper.sessionToken,
      },
    );
    expect(
      outbox.json.data.some(
        (m) => m.subject === 'Your subscription amount changes' && m.text.includes('2027-09-10'),
      ),
    ).toBe(true);
    const over = await merchantPost<{ error: { code: string } }>(
      merchant.apiKey,
      `/v1/subscriptions/${sub.id}/amount`,
      { amount: 9_000 },
    );
    expect(over.json.error.code).toBe('amount_above_agreement_max');

    const paused = await merchantPost(merchant.apiKey, `/v1/subscriptions/${sub.id}/pause`);
    expect(paused.json).toMatchObject({ status: 'paused', nextBillingDate: null });
    await collectOn('2027-08-10');
    expect(await periods(sub.id)).toEqual([]);
    clock.set(new Date('2027-08-20T10:00:00Z'));
    const resumed = await merchantPost(merchant.apiKey, `/v1/subscriptions/${sub.id}/resume`);
    expect(resumed.json).toMatchObject({ status: 'active', nextBillingDate: '2027-09-10' });
    await collectOn('2027-09-10');
    expect((await periods(sub.id)).map((o) => [o.day, o.amount])).toEqual([['2027-09-10', 1_500]]);
  });
});
