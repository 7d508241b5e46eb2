import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY_MS, fixedClock, setClock } from '../../functions/lib/clock.ts';
import { ddb } from '../../functions/lib/dynamodb.ts';
import { expireAuthorizations } from '../../functions/orders/jobs.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { checkoutFixtures, type Json } from '../support/checkout.ts';

// The gateway and the sweep run in-process: both see this clock.
const clock = fixedClock('2026-01-10T09:00:00Z');
const T0 = clock.now().getTime();
const at = (days: number, extraMs = 0) => clock.set(new Date(T0 + days * DAY_MS + extraMs));
let app: TestApp;
beforeAll(async () => {
  setClock(clock);
  app = await startTestApp();
});
afterAll(async () => {
  await app?.close();
  setClock(undefined);
});

const { newMerchant, newShopper, merchantPost, authorizedOrder, events } = checkoutFixtures(() => app);

const get = (apiKey: string, id: string) => app.call<Json>('GET', `/v1/orders/${id}`, { auth: apiKey });

describe('authorization expiry and extension under an injected clock', () => {
  it('announces once 3 days ahead, expires at 28 days, and an extension moves both', async () => {
    const merchant = await newMerchant();
    const shopper = await newShopper();
    const lapsing = await authorizedOrder(merchant, shopper);
    const extended = await authorizedOrder(merchant, shopper);
    const partly = await authorizedOrder(merchant, shopper);
    expect(lapsing.authorizationExpiresAt).toBe('2026-02-07T09:00:00.000Z');
    const captured = await merchantPost(merchant.apiKey, `/v1/orders/${partly.id}/captures`, {
      amount: 10_000,
    });
    expect(captured.status).toBe(201);

    // Day 24: nothing lapses within 3 days yet; the sweep only Queries the index (no Scan).
    at(24);
    const commands: string[] = [];
    ddb().middlewareStack.add(
      (next, context) => async (args) => {
        commands.push(String(context.commandName));
        return next(args);
      },
      { step: 'initialize', name: 'sweep-probe' },
    );
    expect(await expireAuthorizations({})).toMatchObject({ expired: 0, expiring: 0, released: 0 });
    ddb().middlewareStack.remove('sweep-probe');
    expect(commands).toContain('QueryCommand');
    expect(
      commands.filter((c) => c !== 'QueryCommand' && c !== 'GetItemCommand' && c !== 'PutItemCommand'),
    ).toEqual([]);

    // Day 25 + 1 h: all three are within 3 days of lapsing; each is announced once.
    at(25, 3_600_000);
    expect(await expireAuthorizations({})).toMatchObject({ expiring: 3, expired: 0 });
    expect(await expireAuthorizations({})).toMatchObject({ expiring: 0, expired: 0 });

    // Day 26: extend one by 28 days (its announcement is for the old date).
    at(26);
    const ext = await merchantPost<Json>(merchant.apiKey, `/v1/orders/${extended.id}/extend-authorization`);
    expect(ext.status, ext.text).toBe(200);
    expect(ext.json).toMatchObject({
      authorizationExpiresAt: '2026-03-07T09:00:00.000Z',
      status: 'authorized',
    });

    // Day 28 + 1 min: the unextended ones lapse; the extended one does not.
    at(28, 60_000);
    expect(await expireAuthorizations({})).toMatchObject({ expired: 1, released: 1, expiring: 0 });
    expect((await get(merchant.apiKey, lapsing.id)).json).toMatchObject({
      status: 'expired',
      remainingAuthorizedAmount: 0,
    });
    expect((await get(merchant.apiKey, extended.id)).json).toMatchObject({ status: 'authorized' });
    // Partly captured: keeps its status and schedule; the rest of the authorization is released.
    expect((await get(merchant.apiKey, partly.id)).json).toMatchObject({
      status: 'captured',
      capturedAmount: 10_000,
      remainingAuthorizedAmount: 0,
    });
    const late = await merchantPost(merchant.apiKey, `/v1/orders/${partly.id}/captures`, { amount: 100 });
    expect(late.json).toMatchObject({ error: { code: 'authorization_expired' } });
    const lateLapsed = await merchantPost(merchant.apiKey, `/v1/orders/${lapsing.id}/captures`, {
      amount: 100,
    });
    expect(lateLapsed.json).toMatchObject({ error: { code: 'order_not_capturable' } });
    const noExtend = await merchantPost(merchant.apiKey, `/v1/orders/${lapsing.id}/extend-authorization`);
    expect(noExtend.json).toMatchObject({ error: { code: 'authorization_not_extendable' } });
    // A late sweep changes nothing more.
    expect(await expireAuthorizations({})).toMatchObject({ expired: 0, released: 0, expiring: 0 });

    expect(await events(lapsing.id)).toEqual([
      { type: 'order.authorized', sequence: 1 },
      { type: 'order.authorization_expiring', sequence: 2 },
      { type: 'order.authorization_expired', sequence: 3 },
    ]);
    expect((await events(partly.id)).map((e) => e.type)).toEqual([
      'order.authorized',
      'order.captured',
      'installment.paid',
      'order.authorization_expiring',
      'order.authorization_expired',
    ]);

    // The extended order is announced again for its new date, then lapses at it.
    at(53);
    // Invoked exactly as EventBridge Scheduler -> Lambda does: (event, context).
    const asLambda = expireAuthorizations as unknown as (event: object, context: object) => Promise<unknown>;
    expect(await asLambda({}, { awsRequestId: 'r', getRemainingTimeInMillis: () => 1000 })).toMatchObject({
      expiring: 1,
    });
    at(56, 1);
    expect(await expireAuthorizations({})).toMatchObject({ expired: 1 });
    expect((await get(merchant.apiKey, extended.id)).json).toMatchObject({ status: 'expired' });
  });

  it('extends by 28 days at a time, never beyond 180 days after creation', async () => {
    const merchant = await newMerchant();
    const order = await authorizedOrder(merchant, await newShopper());
    const created = Date.parse(String(order.createdAt));
    const expiries: string[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await merchantPost<Json>(merchant.apiKey, `/v1/orders/${order.id}/extend-authorization`);
      expect(res.status, res.text).toBe(200);
      expiries.push(String(res.json.authorizationExpiresAt));
    }
    expect(expiries.map((e) => (Date.parse(e) - created) / DAY_MS)).toEqual([56, 84, 112, 140, 168, 180]);
    const capped = await merchantPost(merchant.apiKey, `/v1/orders/${order.id}/extend-authorization`);
    expect(capped.status).toBe(422);
    expect(capped.json).toMatchObject({ error: { code: 'authorization_extension_limit' } });
    // Still lapses at 180 days.
    clock.set(new Date(created + 180 * DAY_MS + 1));
    await expireAuthorizations({});
    expect((await get(merchant.apiKey, order.id)).json).toMatchObject({ status: 'expired' });
    const afterExpiry = await merchantPost(merchant.apiKey, `/v1/orders/${order.id}/extend-authorization`);
    expect(afterExpiry.json).toMatchObject({ error: { code: 'authorization_not_extendable' } });
  });
});
