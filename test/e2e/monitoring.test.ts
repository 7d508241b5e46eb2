import { afterAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../../functions/lib/clock.ts';
import { appWithClock } from '../support/app.ts';
import { checkoutFixtures, type Json } from '../support/checkout.ts';

// Account monitoring at checkout authorization, with the default rules (not the lenient test config).
const saved = process.env.RISK_CONFIG;
delete process.env.RISK_CONFIG;
afterAll(() => {
  process.env.RISK_CONFIG = saved;
});
const clock = fixedClock('2026-08-03T10:00:00Z');
const testApp = appWithClock(clock);
const { newMerchant, newShopper, openSession, approve, authorizedOrder } = checkoutFixtures(testApp);
type ErrorJson = { error: { code: string; type: string; message: string } };

describe('account monitoring at checkout', { timeout: 240_000 }, () => {
  it('declines an authorization with a card another customer used, revealing no rule; the operator sees a flag', async () => {
    const merchant = await newMerchant();
    const card = '4000056655665556';
    const first = await newShopper(card);
    const order = await authorizedOrder(merchant, first, 5_000);
    expect((order as unknown as { riskDecision: Json }).riskDecision).toMatchObject({
      decision: 'approve',
      score: 0,
    });

    const second = await newShopper(card); // adding the card is allowed
    const session = await openSession(merchant.apiKey, 5_000);
    const refused = await approve(second, session.id);
    expect(refused.status, refused.text).toBe(402);
    const error = (refused.json as unknown as ErrorJson).error;
    expect(error.code).toBe('risk_declined');
    expect(error.message).not.toMatch(/card|shared|rule|customer/i);

    const flags = await testApp().call<{ data: Array<Json & { customerId?: string; severity: string }> }>(
      'GET',
      '/v1/admin/flags',
      { auth: testApp().operator },
    );
    expect(flags.status).toBe(200);
    const flag = flags.json.data.find((f) => f.customerId === second.customerId);
    expect(flag).toMatchObject({ severity: 'high', rule: 'shared_card' });
    const resolved = await testApp().call<Json>('POST', `/v1/admin/flags/${String(flag?.id)}/resolve`, {
      auth: testApp().operator,
      body: { resolution: 'false_positive', note: 'same household' },
    });
    expect(resolved.status, resolved.text).toBe(200);
    expect(resolved.json).toMatchObject({ status: 'resolved', resolution: 'false_positive' });
  });

  it('a burst of checkouts ends in review: the 6th within an hour needs a step-up', async () => {
    const merchant = await newMerchant();
    const shopper = await newShopper('5555555555554444');
    for (let i = 0; i < 5; i += 1) await authorizedOrder(merchant, shopper, 5_000);
    // Each approval's decision carries its aggregate additions; the risk stream applies them (in AWS
    // within a second of the commit; locally when the poller runs).
    await testApp().riskFeed.drain();
    const session = await openSession(merchant.apiKey, 5_000);
    const sixth = await approve(shopper, session.id);
    expect(sixth.status, sixth.text).toBe(403);
    expect((sixth.json as unknown as ErrorJson).error.code).toBe('step_up_required');
  });

  it('refuses bad input on the flag routes and unknown flags', async () => {
    const op = testApp().operator;
    expect((await testApp().call('GET', '/v1/admin/flags?status=closed', { auth: op })).status).toBe(400);
    expect((await testApp().call('GET', '/v1/admin/flags?limit=0', { auth: op })).status).toBe(400);
    const unknown = await testApp().call('POST', '/v1/admin/flags/flg_01ARZ3NDEKTSV4RRFFQ69G5FAV/resolve', {
      auth: op,
      body: { resolution: 'false_positive' },
    });
    expect(unknown.status).toBe(404);
    const bad = await testApp().call('POST', '/v1/admin/flags/flg_01ARZ3NDEKTSV4RRFFQ69G5FAV/resolve', {
      auth: op,
      body: { resolution: 'whatever' },
    });
    expect(bad.status).toBe(400);
    expect((await testApp().call('GET', '/v1/admin/flags')).status).toBe(401);
  });
});
