import { describe, expect, it } from 'vitest';
import { fixedClock } from '../../functions/lib/clock.ts';
import { ddb } from '../../functions/lib/dynamodb.ts';
import { monitorChange } from '../../functions/monitoring/stream.ts';
import { appWithClock } from '../support/app.ts';
import { checkoutFixtures, type Json } from '../support/checkout.ts';
import { withDefaultRiskRules } from '../support/monitoring.ts';

// Account monitoring at checkout authorization, with the default rules (not the lenient test config).
withDefaultRiskRules();
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

  it("an approval's decision, audit and counts persist exactly once, though the risk stream consumer crashes midway and its record is delivered again", async () => {
    const merchant = await newMerchant();
    const shopper = await newShopper('2223003122003222');
    const session = await openSession(merchant.apiKey, 5_000);
    await testApp().riskFeed.drain(); // what the shopper's sign-up and card left behind
    const approved = await approve(shopper, session.id);
    expect(approved.status, approved.text).toBe(200);
    const main = async () => (await testApp().scanAll()).main ?? [];
    const approval = (await main()).find(
      (item) => item.type === 'checkoutAuthorization' && item.checkoutSessionId === session.id,
    );
    const decisionId = (approval?.riskDecision as { id?: string } | undefined)?.id;
    expect(decisionId).toMatch(/^rsk_/);
    // The decision rides on the approval: its record is the stream consumer's to write.
    const decisions = async () =>
      (await main()).filter((item) => item.type === 'riskDecision' && item.id === decisionId);
    expect(await decisions()).toEqual([]);

    // The consumer crashes on its first aggregate update (its decision record's Put went out beside
    // it): the record is reported failed and read again on the next poll, as the event source
    // mapping retries it in AWS.
    let crashes = 0;
    const crash = 'crash-first-risk-update';
    ddb().middlewareStack.add(
      (next, context) => async (args) => {
        const key = (args.input as { Key?: { pk?: unknown } }).Key;
        const counting = String(key?.pk ?? '').startsWith(`RISK#customer#${shopper.customerId}`);
        if (crashes === 0 && context.commandName === 'UpdateItemCommand' && counting) {
          crashes += 1;
          throw new Error('injected: the consumer died mid-record');
        }
        return next(args);
      },
      { step: 'initialize', name: crash },
    );
    try {
      await testApp().riskFeed.drain();
    } finally {
      ddb().middlewareStack.remove(crash);
    }
    expect(crashes).toBe(1);
    await testApp().riskFeed.drain(); // delivered again: completes
    // And delivered once more after it completed (a redelivered batch): a no-op, not a failure.
    await expect(monitorChange(approval ?? {}, clock)).resolves.toBeUndefined();

    const items = await main();
    expect(await decisions()).toEqual([
      expect.objectContaining({ decision: 'approve', customerId: shopper.customerId, action: 'checkout' }),
    ]);
    const audits = items.filter(
      (item) => item.type === 'audit' && item.action === 'checkout.authorized' && item.subject === session.id,
    );
    expect(audits).toHaveLength(1);
    expect(audits[0]?.metadata).toMatchObject({ riskDecisionId: decisionId });
    // Counted once in each of the customer's checkout windows (1 h, 24 h, 90 d), by this decision.
    const counts = items.filter(
      (item) => item.pk === `RISK#customer#${shopper.customerId}` && String(item.sk).startsWith('checkouts#'),
    );
    expect(counts).toHaveLength(3);
    for (const bucket of counts) {
      expect(bucket).toMatchObject({ n: 1, sum: 5_000 });
      expect([...(bucket.events as Set<string>)]).toEqual([expect.stringContaining(`|${decisionId}`)]);
    }
    // The stream moved on: the shopper's next approval is counted too.
    const next = await approve(shopper, (await openSession(merchant.apiKey, 5_000)).id);
    expect(next.status, next.text).toBe(200);
    await testApp().riskFeed.drain();
    const hour = (await main()).find(
      (item) =>
        item.pk === `RISK#customer#${shopper.customerId}` && String(item.sk).startsWith('checkouts#1h#'),
    );
    expect(hour).toMatchObject({ n: 2, sum: 10_000 });
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
