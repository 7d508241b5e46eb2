import { describe, expect, it } from 'vitest';
import { fixedClock } from '../../functions/lib/clock.ts';
import { appWithClock } from '../support/app.ts';
import type { Json } from '../support/checkout.ts';
import { subscriptionFixtures } from '../support/subscriptions.ts';

// Issue 17, the leap-year half (the common-year half is in subscriptions.test.ts): its own app, so
// the dispatcher's first run looks back a month, not across the year since the other file's runs.
const clock = fixedClock(new Date('2028-01-31T10:00:00Z'));
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
} = subscriptionFixtures(testApp, clock);

type Run = Json & { renewals: { due: number; renewed: number; canceled: number } };

const collectOn = (day: string) => collect<Run>(day);

describe('a subscription in a leap year', { timeout: 240_000 }, () => {
  it('from Jan 31 renews Feb 29, Mar 31, Apr 30, once each; canceled at period end, it ends on its next billing date', async () => {
    const merchant = await newMerchant();
    const shopper = await newShopper();
    const token = await customerToken(merchant, shopper);
    const sub = await subscribe(merchant.apiKey, {
      customerToken: token,
      amount: 1_999,
      currency: 'USD',
      interval: 'month',
    });
    await collectOn('2028-01-31');
    expect((await collectOn('2028-02-28')).renewals.renewed).toBe(0);
    for (const day of ['2028-02-29', '2028-03-31', '2028-04-30']) {
      expect((await collectOn(day)).renewals.renewed).toBe(1);
      expect((await collectOn(day)).renewals.renewed).toBe(0);
    }
    expect((await periods(sub.id)).map((o) => [o.day, o.charges, o.status])).toEqual([
      ['2028-01-31', 1, 'paid_off'],
      ['2028-02-29', 1, 'paid_off'],
      ['2028-03-31', 1, 'paid_off'],
      ['2028-04-30', 1, 'paid_off'],
    ]);
    const ending = await merchantPost(merchant.apiKey, `/v1/subscriptions/${sub.id}/cancel`, {
      atPeriodEnd: true,
    });
    expect(ending.json).toMatchObject({ status: 'active', cancelAtPeriodEnd: true, endsOn: '2028-05-31' });
    const run = await collectOn('2028-05-31');
    expect(run.renewals).toMatchObject({ due: 1, renewed: 0, canceled: 1 });
    expect(await subscription(merchant.apiKey, sub.id)).toMatchObject({
      status: 'canceled',
      cancelReason: 'requested',
      periodsBilled: 4,
    });
    expect((await periods(sub.id)).length).toBe(4);
    expect((await events(sub.id)).map((e) => e.type).at(-1)).toBe('subscription.canceled');
  });
});
