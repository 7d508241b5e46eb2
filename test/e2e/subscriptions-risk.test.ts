import { describe, expect, it } from 'vitest';
import { fixedClock } from '../../functions/lib/clock.ts';
import { appWithClock } from '../support/app.ts';
import type { Json } from '../support/checkout.ts';
import { signIn } from '../support/customers.ts';
import { withDefaultRiskRules } from '../support/monitoring.ts';
import { MONTHLY_AGREEMENT, subscriptionFixtures } from '../support/subscriptions.ts';

// Issue 17: "each such order is subject to the same risk rules". With the default rules (not the
// suite's monitoring-off config, test/support/setup-env.ts): once the shopper's card is also another
// customer's, an order under the customer token is declined like a checkout would be, writing
// nothing, and the subscription's next renewal is refused by the same rules, counted in its run.
// "same disputes": a period's order is disputed and credited back like any order.
withDefaultRiskRules();
const clock = fixedClock(new Date('2027-03-01T10:00:00Z'));
const testApp = appWithClock(clock);
const {
  newMerchant,
  newShopper,
  merchantPost,
  collectOn: collect,
  customerToken,
  subscribe,
  periods,
  counts,
} = subscriptionFixtures(testApp, clock);

type Run = Json & { renewals: { due: number; renewed: number; riskRefused: number } };

const collectOn = (day: string) => collect<Run>(day);

describe('without the shopper present: the same risk rules and disputes', { timeout: 240_000 }, () => {
  it('a card shared with another customer: the token order is declined and the renewal refused, nothing charged', async () => {
    const merchant = await newMerchant();
    const card = '4000056655665556';
    const shopper = await newShopper(card);
    const token = await customerToken(merchant, shopper, { ...MONTHLY_AGREEMENT, cadence: 'on_demand' });
    const sub = await subscribe(merchant.apiKey, {
      customerToken: token,
      amount: 2_000,
      currency: 'USD',
      interval: 'month',
      startDate: '2027-03-15',
    });

    const first = await merchantPost<Json & { status: string }>(
      merchant.apiKey,
      `/v1/customer-tokens/${token}/orders`,
      { amount: 1_000, currency: 'USD', merchantReference: 'before-sharing' },
    );
    expect(first.status, first.text).toBe(201);
    await testApp().riskFeed.drain();

    // Another customer adds the same card (allowed); from now on the card is shared.
    await newShopper(card);
    await testApp().riskFeed.drain();

    const before = await counts('order', 'installment', 'webhookEvent');
    const refused = await merchantPost<{ error: { code: string; message: string } }>(
      merchant.apiKey,
      `/v1/customer-tokens/${token}/orders`,
      { amount: 1_000, currency: 'USD', merchantReference: 'after-sharing' },
    );
    expect(refused.status, refused.text).toBe(402);
    expect(refused.json.error.code).toBe('risk_declined');
    expect(refused.json.error.message).not.toMatch(/card|shared|rule|customer/i);
    expect(await counts('order', 'installment', 'webhookEvent')).toEqual(before);

    // Within the rule's 30 days of the card being shared.
    const run = await collectOn('2027-03-15');
    expect(run.renewals).toMatchObject({ due: 1, renewed: 0, riskRefused: 1 });
    expect(await periods(sub.id)).toEqual([]);
  });

  it('a period order is disputed like any order: filed by the shopper, fraud confirmed, the period credited back', async () => {
    clock.set(new Date('2027-05-01T10:00:00Z'));
    const merchant = await newMerchant();
    const shopper = await newShopper('5555555555554444');
    const token = await customerToken(merchant, shopper);
    const sub = await subscribe(merchant.apiKey, {
      customerToken: token,
      amount: 2_000,
      currency: 'USD',
      interval: 'month',
    });
    // (The first test's subscription renews in this run too.)
    expect((await collectOn('2027-05-01')).renewals.renewed).toBeGreaterThanOrEqual(1);
    const [period] = await periods(sub.id);
    expect(period).toMatchObject({ amount: 2_000, status: 'paid_off', charges: 1 });

    const session = await signIn(testApp(), shopper.email, shopper.password);
    const filed = await testApp().call<Json & { id: string; status: string }>('POST', '/v1/me/disputes', {
      auth: session,
      body: { orderId: period?.id, reason: 'unauthorized' },
    });
    expect(filed.status, filed.text).toBe(201);
    const resolved = await testApp().call<Json>('POST', `/v1/admin/disputes/${filed.json.id}/resolve`, {
      auth: testApp().operator,
      body: { outcome: 'fraud_confirmed', note: 'Not the shopper.' },
    });
    expect(resolved.status, resolved.text).toBe(200);
    expect(resolved.json).toMatchObject({
      status: 'lost',
      resolution: { outcome: 'fraud_confirmed', creditedAmount: 2_000 },
    });
    const order = await testApp().call<Json>('GET', `/v1/orders/${period?.id}`, { auth: merchant.apiKey });
    expect(order.json).toMatchObject({ status: 'refunded', refundedAmount: 2_000, outstandingAmount: 0 });
  });
});
