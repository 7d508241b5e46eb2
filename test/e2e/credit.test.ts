/**
 * Credit applications over HTTP: the KYC and step-up gates, the 3-per-30-days window, a
 * deterministic decision, and its limit enforced when the shopper authorizes a checkout (issue 11).
 */
import { describe, expect, it } from 'vitest';
import { DAY_MS, fixedClock } from '../../functions/lib/clock.ts';
import { appWithClock } from '../support/app.ts';
import { checkoutFixtures, type Json } from '../support/checkout.ts';
import { enrollTotp, signIn, stepUp } from '../support/customers.ts';

const clock = fixedClock('2026-08-03T10:00:00.000Z');
const app = appWithClock(clock);
const { newMerchant, newShopper, openSession, approve, merchantPost, capturedOrder } = checkoutFixtures(app);

const application = {
  amount: 30_000,
  currency: 'USD',
  months: 6,
  monthlyIncome: 300_000,
  monthlyObligations: 100_000,
};
type Decision = { decision: string; limit: number; reasons: string[]; error?: { code: string } };

async function verifiedShopper(documentNumber = 'N24681357') {
  const shopper = await newShopper();
  const { secret } = await enrollTotp(app(), shopper.sessionToken);
  const kyc = await app().call<{ status: string }>('POST', '/v1/me/identity-verifications', {
    auth: shopper.sessionToken,
    body: { documentType: 'passport', documentNumber, country: 'IE' },
  });
  return { ...shopper, secret, kyc: kyc.json.status };
}

function apply(shopper: { sessionToken: string }, token: string | undefined, body: Json = application) {
  return app().call<Decision>('POST', '/v1/me/credit-applications', {
    auth: shopper.sessionToken,
    headers: token ? { 'Step-Up-Token': token } : {},
    body,
  });
}

/**
 * The customer's credit partition (applications, the 30-day window, limits) and balance ledger
 * (entries, head): what a refusal must leave exactly as it was.
 */
async function creditAndLedger(customerId: string) {
  const main = (await app().scanAll()).main ?? [];
  return main
    .filter((i) => [`CREDIT#${customerId}`, `BALANCE#${customerId}`].includes(String(i.pk)))
    .map((i) => JSON.stringify(i))
    .sort();
}

/** Applies, expects the refusal `[status, code]`, and that nothing of the customer's credit or ledger moved. */
async function refusedWritingNothing(
  shopper: { customerId: string; sessionToken: string },
  token: string | undefined,
  expected: [number, string],
) {
  const before = await creditAndLedger(shopper.customerId);
  const res = await apply(shopper, token);
  expect([res.status, res.json.error?.code]).toEqual(expected);
  expect(await creditAndLedger(shopper.customerId)).toEqual(before);
}

const creditToken = (shopper: { sessionToken: string; secret: string }, amount = 30_000) =>
  stepUp(
    app(),
    shopper.sessionToken,
    'credit_application',
    { amount: { amount, currency: 'USD' } },
    shopper.secret,
  );

describe('credit applications', () => {
  it('are refused without KYC, with KYC in review or rejected, and without or with a wrong or reused step-up, writing nothing', async () => {
    // No KYC at all (unverified), then in review and rejected.
    const unverified = await newShopper();
    const { secret } = await enrollTotp(app(), unverified.sessionToken);
    const token = await creditToken({ ...unverified, secret });
    await refusedWritingNothing(unverified, token, [403, 'identity_not_verified']);
    for (const [number, status] of [
      ['N00001111', 'in_review'],
      ['N00000000', 'rejected'],
    ]) {
      const shopper = await verifiedShopper(number);
      expect(shopper.kyc).toBe(status);
      await refusedWritingNothing(shopper, await creditToken(shopper), [403, 'identity_not_verified']);
    }
    const shopper = await verifiedShopper();
    const cases: Array<[string | undefined, number, string]> = [
      [undefined, 403, 'step_up_required'],
      [await creditToken(shopper, 29_999), 403, 'step_up_invalid'],
      [
        await stepUp(
          app(),
          shopper.sessionToken,
          'withdrawal',
          { amount: { amount: 30_000, currency: 'USD' } },
          shopper.secret,
        ),
        403,
        'step_up_invalid',
      ],
    ];
    for (const [token, status, code] of cases) await refusedWritingNothing(shopper, token, [status, code]);
    expect(await creditAndLedger(shopper.customerId)).toEqual([]);
    const once = await creditToken(shopper);
    expect((await apply(shopper, once)).status).toBe(201);
    // The approval wrote its application, window and limit; the reused token writes nothing more.
    expect((await creditAndLedger(shopper.customerId)).length).toBe(3);
    await refusedWritingNothing(shopper, once, [403, 'step_up_invalid']);
    const audit =
      (await app().scanAll()).main?.filter(
        (i) => i.action === 'gate.credit_application' && i.subject === shopper.customerId,
      ) ?? [];
    expect(audit.map((i) => i.reason).sort()).toEqual([
      'allowed',
      'step_up_invalid',
      'step_up_invalid',
      'step_up_invalid',
      'step_up_required',
    ]);
  }, 120_000);

  it('decide deterministically, and the limit caps checkout authorizations', async () => {
    const merchant = await newMerchant();
    const a = await verifiedShopper();
    const b = await verifiedShopper('N13572468');
    const first = await apply(a, await creditToken(a));
    const second = await apply(b, await creditToken(b));
    expect(first.status, first.text).toBe(201);
    expect(first.json).toMatchObject({ decision: 'approved', limit: 30_000 });
    // The same inputs (no history yet for either) give the same decision, limit and reasons.
    expect({ ...second.json, id: undefined, createdAt: undefined }).toEqual({
      ...first.json,
      id: undefined,
      createdAt: undefined,
    });

    const above = await openSession(merchant.apiKey, 40_000);
    const refused = await approve(a, above.id);
    expect(refused.status).toBe(422);
    expect(refused.json).toMatchObject({ error: { code: 'credit_limit_exceeded' } });
    const audited =
      (await app().scanAll()).main?.filter(
        (i) => i.action === 'gate.authorize_checkout' && i.reason === 'credit_limit_exceeded',
      ) ?? [];
    expect(audited.map((i) => [i.subject, i.reason])).toEqual([[a.customerId, 'credit_limit_exceeded']]);
    const within = await openSession(merchant.apiKey, 30_000);
    expect((await approve(a, within.id)).status).toBe(200);
    // A shopper who never applied is not capped by anyone else's limit.
    const other = await newShopper();
    expect((await approve(other, (await openSession(merchant.apiKey, 40_000)).id)).status).toBe(200);
  }, 120_000);

  it('the limit caps the total outstanding, approvals not yet redeemed included, not each approval', async () => {
    const merchant = await newMerchant();
    const a = await verifiedShopper('N11223344');
    const limited = { ...application, amount: 50_000 };
    const granted = await apply(a, await creditToken(a, 50_000), limited);
    expect(granted.json).toMatchObject({ decision: 'approved', limit: 50_000 });

    // 400.00 captured, 100.00 collected at capture: 300.00 outstanding of the 500.00 limit.
    await capturedOrder(merchant, a, 40_000);
    const over = await approve(a, (await openSession(merchant.apiKey, 25_000)).id);
    expect([over.status, over.json]).toMatchObject([422, { error: { code: 'credit_limit_exceeded' } }]);
    expect((over.json as unknown as { error: { message: string } }).error.message).toContain('300.00');
    const held = await approve(a, (await openSession(merchant.apiKey, 20_000)).id);
    expect(held.status, held.text).toBe(200);
    // The approval holds its 200.00 until it is redeemed or expires: nothing is left.
    const none = await approve(a, (await openSession(merchant.apiKey, 5_000)).id);
    expect(none.json).toMatchObject({ error: { code: 'credit_limit_exceeded' } });
    // Redeemed for an order, it counts once (as the order); cancelled, it frees its 200.00.
    const order = await merchantPost<Json & { id: string }>(merchant.apiKey, '/v1/orders', {
      authorizationToken: held.json.authorizationToken,
    });
    expect(order.status, order.text).toBe(201);
    expect((await approve(a, (await openSession(merchant.apiKey, 5_000)).id)).status).toBe(422);
    expect((await merchantPost(merchant.apiKey, `/v1/orders/${order.json.id}/cancel`, {})).status).toBe(200);
    const freed = await approve(a, (await openSession(merchant.apiKey, 15_000)).id);
    expect(freed.status, freed.text).toBe(200);
    // An approval never redeemed stops counting once it expires.
    clock.advance(61 * 60_000);
    const session = await signIn(app(), a.email, a.password, a.secret);
    const later = await approve(
      { ...a, sessionToken: session },
      (await openSession(merchant.apiKey, 20_000)).id,
    );
    expect(later.status, later.text).toBe(200);
    const audited =
      (await app().scanAll()).main?.filter(
        (i) => i.action === 'gate.authorize_checkout' && i.subject === a.customerId,
      ) ?? [];
    // Each decision: 3 refusals (over the limit), 4 approvals within it (the limit checked).
    expect(audited.map((i) => i.reason).sort()).toEqual([
      'allowed',
      'allowed',
      'allowed',
      'allowed',
      'credit_limit_exceeded',
      'credit_limit_exceeded',
      'credit_limit_exceeded',
    ]);
    expect(audited.filter((i) => i.reason === 'allowed').map((i) => (i.metadata as Json).checks)).toEqual(
      Array(4).fill('risk=approve,stepUp=not_required,creditLimit=within'),
    );
  }, 120_000);

  it('concurrent authorizations cannot share the same headroom', async () => {
    const merchant = await newMerchant();
    const a = await verifiedShopper('N55667788');
    const granted = await apply(a, await creditToken(a, 50_000), { ...application, amount: 50_000 });
    expect(granted.json).toMatchObject({ limit: 50_000 });
    const sessions = [];
    for (let i = 0; i < 5; i++) sessions.push(await openSession(merchant.apiKey, 20_000));
    const results = await Promise.all(sessions.map((s) => approve(a, s.id)));
    const ok = results.filter((r) => r.status === 200).length;
    for (const r of results.filter((x) => x.status !== 200)) {
      expect(['credit_limit_exceeded', 'concurrent_update']).toContain(
        (r.json as { error?: { code: string } }).error?.code,
      );
    }
    // 2 x 200.00 fit in 500.00; 3 do not.
    expect(ok).toBeGreaterThanOrEqual(1);
    expect(ok).toBeLessThanOrEqual(2);
  }, 120_000);

  it('at most 3 applications in 30 days', async () => {
    const shopper = await verifiedShopper('N11223344');
    for (let i = 0; i < 3; i++) expect((await apply(shopper, await creditToken(shopper))).status).toBe(201);
    await refusedWritingNothing(shopper, await creditToken(shopper), [422, 'credit_application_limit']);
    const audit = ((await app().scanAll()).main ?? []).filter(
      (i) => i.action === 'gate.credit_application' && i.subject === shopper.customerId,
    );
    expect(audit.map((i) => i.reason).sort()).toEqual([
      'allowed',
      'allowed',
      'allowed',
      'credit_application_limit',
    ]);
    // The window rolls: 30 days after the first, the next one is possible (sessions are short: sign in again).
    clock.advance(30 * DAY_MS + 1);
    const session = await signIn(app(), shopper.email, shopper.password, shopper.secret);
    const again = { ...shopper, sessionToken: session };
    expect((await apply(again, await creditToken(again))).status).toBe(201);
  }, 120_000);
});

describe('checkout step-up threshold per currency (USD 500 scaled: exponents 0, 2, 3)', () => {
  it('JPY 60,000 (~USD 400) needs no step-up, like USD 400.00; above the scaled threshold every currency does', async () => {
    const merchant = await newMerchant();
    const shopper = await newShopper();
    for (const [currency, below, above] of [
      ['JPY', 60_000, 80_000],
      ['USD', 40_000, 60_000],
      ['KWD', 140_000, 160_000],
    ] as const) {
      const ok = await approve(shopper, (await openSession(merchant.apiKey, below, { currency })).id);
      expect(ok.status, `${currency} ${below}: ${ok.text}`).toBe(200);
      const big = await approve(shopper, (await openSession(merchant.apiKey, above, { currency })).id);
      expect([big.status, (big.json as Json).error]).toMatchObject([403, { code: 'step_up_required' }]);
    }
  }, 120_000);
});
