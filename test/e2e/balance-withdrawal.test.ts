/**
 * The whole shopper flow of issue 11 over HTTP: register and verify the email (`newShopper` ->
 * `registerCustomer` answers the code sent to it, read from the local outbox), 2FA (TOTP), KYC, a
 * refund of collected money credited to the balance, a step-up bound to amount and card, a
 * withdrawal; then the ledger and the balance agree.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { balanceCreditItem } from '../../functions/balance/credits.ts';
import { DAY_MS, fixedClock, isoDay } from '../../functions/lib/clock.ts';
import { writeTransaction } from '../../functions/lib/transactions.ts';
import { raiseFlag } from '../../functions/monitoring/flags.ts';
import { setCardProcessor } from '../../functions/payments/processor.ts';
import { appWithClock } from '../support/app.ts';
import { checkoutFixtures, type Json } from '../support/checkout.ts';
import { enrollTotp, signIn, stepUp } from '../support/customers.ts';

const clock = fixedClock('2026-07-06T10:00:00.000Z');
const app = appWithClock(clock);
afterAll(() => setCardProcessor(undefined));
const { newMerchant, newShopper, merchantPost, capturedOrder, runCollection } = checkoutFixtures(app);

/** Stripe's test card whose refunds fail: the refund's collected money ends in the balance. */
const REFUND_FAILS = '4000000000005126';

type Balance = {
  balances: Array<{ amount: number; currency: string }>;
  entries: Array<{
    amount: number;
    reason: string;
    reference: string;
    balanceAfter: number;
    legs: Array<{ amount: number }>;
  }>;
};

const balance = async (sessionToken: string) =>
  (await app().call<Balance>('GET', '/v1/me/balance', { auth: sessionToken })).json;

describe('balance and withdrawals over HTTP', () => {
  it('register, verify email, 2FA, KYC, a refund credited to the balance, step-up, withdraw: ledger and balance agree', async () => {
    const merchant = await newMerchant();
    const shopper = await newShopper(REFUND_FAILS);
    const me = await app().call<Json>('GET', '/v1/me', { auth: shopper.sessionToken });
    expect(me.json).toMatchObject({ email: shopper.email, emailVerified: true });
    const { secret } = await enrollTotp(app(), shopper.sessionToken);
    const kyc = await app().call<{ status: string }>('POST', '/v1/me/identity-verifications', {
      auth: shopper.sessionToken,
      body: { documentType: 'id_card', documentNumber: 'L01234567', country: 'FR' },
    });
    expect(kyc.json.status).toBe('verified');

    // Pay in 4 of USD 400.00: the first USD 100.00 is collected at capture; then refunded in full.
    const order = await capturedOrder(merchant, shopper, 40_000);
    const refund = await merchantPost<Json & { id: string }>(
      merchant.apiKey,
      `/v1/orders/${order.id}/refunds`,
      {
        amount: 40_000,
      },
    );
    expect(refund.status, refund.text).toBe(201);
    // The card refuses the return; collection retries it on days +1, +3, +7, then it fails for good.
    const day0 = clock.now().getTime();
    for (const days of [1, 3, 7]) {
      clock.set(new Date(day0 + days * DAY_MS));
      await runCollection(isoDay(clock.now()));
    }
    const session = await signIn(app(), shopper.email, shopper.password, secret);
    const credited = await balance(session);
    expect(credited.balances).toEqual([{ amount: 10_000, currency: 'USD' }]);
    expect(credited.entries).toMatchObject([{ amount: 10_000, reason: 'refund', reference: refund.json.id }]);

    const binding = { amount: { amount: 6_000, currency: 'USD' }, payee: shopper.cardToken };
    const token = await stepUp(app(), session, 'withdrawal', binding, secret);
    const withdrawal = await app().call<Json>('POST', '/v1/me/withdrawals', {
      auth: session,
      headers: { 'Step-Up-Token': token },
      body: { amount: 6_000, currency: 'USD', cardToken: shopper.cardToken },
    });
    expect(withdrawal.status, withdrawal.text).toBe(201);
    expect(withdrawal.json).toMatchObject({ status: 'paid', balanceAfter: 4_000 });

    const after = await balance(session);
    expect(after.balances).toEqual([{ amount: 4_000, currency: 'USD' }]);
    expect(after.entries.reduce((sum, e) => sum + e.amount, 0)).toBe(4_000);
    expect(after.entries.at(-1)?.balanceAfter).toBe(4_000);
    for (const entry of after.entries) expect(entry.legs.reduce((sum, l) => sum + l.amount, 0)).toBe(0);
    // Every gate decision is audited, with ids and amounts only.
    const audit = (await app().scanAll()).main?.filter((i) => i.action === 'gate.withdrawal') ?? [];
    expect(audit.map((i) => [i.reason, (i.metadata as Json).checks])).toEqual([
      ['allowed', 'identity=verified,accountFlags=none,risk=approve,stepUp=verified,balance=covered'],
    ]);
  }, 120_000);

  it('refusals are clear 4xx and move nothing: no KYC, no step-up, other amount or card, reused token, above the balance, a flagged account', async () => {
    const shopper = await newShopper();
    const { secret } = await enrollTotp(app(), shopper.sessionToken);
    const body = { amount: 1_000, currency: 'USD', cardToken: shopper.cardToken };
    const post = (headers: Record<string, string> = {}, payload: Json = body) =>
      app().call<{ error: { code: string } }>('POST', '/v1/me/withdrawals', {
        auth: shopper.sessionToken,
        headers,
        body: payload,
      });
    const token = (amount = 1_000, payee = shopper.cardToken) =>
      stepUp(
        app(),
        shopper.sessionToken,
        'withdrawal',
        { amount: { amount, currency: 'USD' }, payee },
        secret,
      );

    const noKyc = await post({ 'Step-Up-Token': await token() });
    expect([noKyc.status, noKyc.json.error.code]).toEqual([403, 'identity_not_verified']);
    const kyc = await app().call<{ status: string }>('POST', '/v1/me/identity-verifications', {
      auth: shopper.sessionToken,
      body: { documentType: 'passport', documentNumber: 'K77777777', country: 'NL' },
    });
    expect([kyc.status, kyc.json.status], kyc.text).toEqual([201, 'verified']);
    const cases: Array<[Record<string, string>, Json, number, string]> = [
      [{}, body, 403, 'step_up_required'],
      [{ 'Step-Up-Token': await token(999) }, body, 403, 'step_up_invalid'],
      [
        { 'Step-Up-Token': await token(1_000, 'tok_01JNJ3Y7ZQ8M4N5P6Q7R8S9T0V') },
        body,
        403,
        'step_up_invalid',
      ],
      [{ 'Step-Up-Token': await token(1_000) }, body, 422, 'insufficient_balance'],
    ];
    for (const [headers, payload, status, code] of cases) {
      const res = await post(headers, payload);
      expect([res.status, res.json.error.code]).toEqual([status, code]);
    }
    // Credited, a withdrawal goes through once; its token cannot approve a second one.
    const reference = 'ref_01JNJ3Y7ZQ8M4N5P6Q7R8S9T0V';
    const credit = {
      customerId: shopper.customerId,
      amount: 1_500,
      currency: 'USD' as const,
      reason: 'refund' as const,
    };
    await writeTransaction([balanceCreditItem({ ...credit, reference }, clock.now())]);
    const once = await token();
    expect((await post({ 'Step-Up-Token': once })).status).toBe(201);
    const reused = await post({ 'Step-Up-Token': once });
    expect([reused.status, reused.json.error.code]).toEqual([403, 'step_up_invalid']);
    expect((await balance(shopper.sessionToken)).balances).toEqual([{ amount: 500, currency: 'USD' }]);

    await raiseFlag(
      {
        dedupeKey: `test#${shopper.customerId}`,
        customerId: shopper.customerId,
        rule: 'test',
        severity: 'high',
        evidence: {},
      },
      clock,
    );
    const flagged = await post({ 'Step-Up-Token': await token() });
    expect([flagged.status, flagged.json.error.code]).toEqual([403, 'account_flagged']);
    expect((await balance(shopper.sessionToken)).entries.map((e) => e.amount)).toEqual([1_500, -1_000]);
    const audit =
      (await app().scanAll()).main?.filter(
        (i) => i.action === 'gate.withdrawal' && i.subject === shopper.customerId,
      ) ?? [];
    expect(audit.map((i) => i.reason).sort()).toEqual(
      [
        'account_flagged',
        'allowed',
        'identity_not_verified',
        'insufficient_balance',
        'step_up_invalid',
        'step_up_invalid',
        'step_up_invalid',
        'step_up_required',
      ].sort(),
    );
  }, 120_000);
});
