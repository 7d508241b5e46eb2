/**
 * Account monitoring at the actions beside checkout (test/e2e/monitoring.test.ts has checkout),
 * through the real routes: sign-in, adding a card, a withdrawal, a credit application and a one-time
 * code sent by SMS. For each: a decline blocks with 402 `risk_declined`, whose message names no rule;
 * a review demands a step-up (the action's own second factor, which then lets it through) or holds it
 * for an operator (403 `risk_review_hold`), as the rule that fired says; and the decision is stored
 * with the rules that fired.
 *
 * Setup steps run with monitoring off (this suite's default, test/support/setup-env.ts); each test
 * then sets the RISK_CONFIG an operator would (functions/monitoring/config.ts, the default rules
 * unless it says otherwise) for the action under test, and starts two days after the last one, so
 * counts of earlier tests (every shopper here comes from 127.0.0.1) are out of every window.
 */
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { balanceCreditItem } from '../../functions/balance/credits.ts';
import { DAY_MS, fixedClock } from '../../functions/lib/clock.ts';
import { writeTransaction } from '../../functions/lib/transactions.ts';
import { riskConfig } from '../../functions/monitoring/config.ts';
import { type ApiResponse, appWithClock } from '../support/app.ts';
import { checkoutFixtures, type Json } from '../support/checkout.ts';
import {
  enrollTotp,
  outboxCode,
  registerCustomer,
  signIn as signInWith2fa,
  stepUp,
  totpCode,
} from '../support/customers.ts';

const clock = fixedClock('2026-09-07T10:00:00Z');
const app = appWithClock(clock);
const { newShopper } = checkoutFixtures(app);
const saved = process.env.RISK_CONFIG;
afterAll(() => {
  process.env.RISK_CONFIG = saved;
});
const HOUR_MS = 3_600_000;
beforeEach(() => {
  clock.advance(2 * DAY_MS);
  monitoring('off');
});

/** Monitoring off (setup), on with the default rules, or on with an operator's RISK_CONFIG. */
function monitoring(mode: 'off' | 'defaults' | Json): void {
  if (mode === 'defaults') delete process.env.RISK_CONFIG;
  else process.env.RISK_CONFIG = JSON.stringify(mode === 'off' ? { enabled: false } : mode);
}

type ErrorJson = { error?: { code: string; type: string; message: string } };
type Decision = Json & { decision: string; review?: string; fired: Array<{ rule: string; reason: string }> };

/** A 402 `risk_declined` whose message says nothing of rules, scores or what was counted. */
function expectDeclined(res: ApiResponse<unknown>): void {
  expect(res.status, res.text).toBe(402);
  const error = (res.json as ErrorJson).error;
  expect(error?.code).toBe('risk_declined');
  expect(error?.message).not.toMatch(/rule|score|card|device|\bip\b|phone|velocity|security|shared|fail/i);
  expect(res.text).not.toMatch(/card_testing|shared_device|otp_send|security_change|repeated_credit/);
}

/** A 403 `risk_review_hold`: held for an operator, naming no rule either. */
function expectHeld(res: ApiResponse<unknown>): void {
  expect(res.status, res.text).toBe(403);
  const error = (res.json as ErrorJson).error;
  expect(error?.code).toBe('risk_review_hold');
  expect(error?.message).not.toMatch(/rule|score|card|device|\bip\b|phone|velocity|security|shared|fail/i);
}

/** The stored decisions of a customer for an action. */
async function decisions(customerId: string, action: string): Promise<Decision[]> {
  const main = (await app().scanAll()).main ?? [];
  return main.filter(
    (i) => i.type === 'riskDecision' && i.customerId === customerId && i.action === action,
  ) as Decision[];
}

/**
 * Runs `act` and returns its response with the one decision it stored for the customer's `action`
 * (the clock is frozen, so decisions are told apart by id, not time), and the rules that fired.
 */
async function decided<T>(customerId: string, action: string, act: () => Promise<T>) {
  const before = new Set((await decisions(customerId, action)).map((d) => d.id));
  const res = await act();
  const stored = (await decisions(customerId, action)).filter((d) => !before.has(d.id));
  expect(stored, `one ${action} decision stored for ${customerId}`).toHaveLength(1);
  const decision = stored[0] as Decision;
  return { res, decision: { ...decision, rules: decision.fired.map((f) => f.rule) } };
}

const signInRequest = (who: { email: string; password: string }) =>
  app().call<{ sessionToken?: string; mfaRequired?: boolean; challengeId?: string } & ErrorJson>(
    'POST',
    '/v1/sessions',
    { body: { email: who.email, password: who.password } },
  );

/** A verified (KYC) shopper with TOTP on; enrolling it is a security change (audited, counted once fed). */
async function verifiedShopperWithTotp() {
  const shopper = await newShopper();
  const { secret } = await enrollTotp(app(), shopper.sessionToken);
  const kyc = await app().call<{ status: string }>('POST', '/v1/me/identity-verifications', {
    auth: shopper.sessionToken,
    body: { documentType: 'passport', documentNumber: 'P24681357', country: 'IE' },
  });
  expect(kyc.json.status).toBe('verified');
  return { ...shopper, secret };
}

/**
 * Money out (a withdrawal, a credit application) by a shopper who changed their 2FA within 72 h, run
 * three times: with the default rules it is held for an operator (security_change_then_money_out);
 * made a step-up review by an operator, the action's own step-up meets it and it goes through (201);
 * scored 100, it is declined. `written` lists what the action wrote: only the one that went through.
 * `alsoOnThird`: rules that fire beside it on the third attempt.
 */
async function moneyOutAfterSecurityChange(
  act: () => Promise<{ res: ApiResponse<Json & ErrorJson>; decision: Decision & { rules: string[] } }>,
  written: () => Promise<unknown[]>,
  alsoOnThird: string[] = [],
): Promise<void> {
  const rule = 'security_change_then_money_out';
  monitoring('defaults');
  await app().riskFeed.drain(); // the audit trail tells monitoring of the TOTP enrollment
  const held = await act();
  expectHeld(held.res);
  expect(held.decision).toMatchObject({ decision: 'review', review: 'hold', rules: [rule] });
  expect(await written()).toEqual([]);

  monitoring({ rules: { [rule]: { score: 50, onReview: 'step_up' } } });
  const through = await act();
  expect(through.res.status, through.res.text).toBe(201);
  expect(through.decision).toMatchObject({ decision: 'review', review: 'step_up', rules: [rule] });
  expect(await written()).toHaveLength(1);

  monitoring({ rules: { [rule]: { score: 100 } } });
  const declined = await act();
  expectDeclined(declined.res);
  expect(declined.decision).toMatchObject({ decision: 'decline', rules: [rule, ...alsoOnThird] });
  expect(await written()).toHaveLength(1);
}

describe('account monitoring at sign-in, card, withdrawal, credit and code sends', {
  timeout: 240_000,
}, () => {
  it('sign-in: declined (402, no session); a review holds a shopper without 2FA and demands the second factor of one with it; a hold rule holds both', async () => {
    const [ann, bob, cat] = [
      await registerCustomer(app()),
      await registerCustomer(app()),
      await registerCustomer(app()),
    ];
    const dan = await registerCustomer(app());
    const danTotp = await enrollTotp(app(), dan.sessionToken);
    const eve = await registerCustomer(app());
    await enrollTotp(app(), eve.sessionToken);
    await app().riskFeed.drain(); // monitoring off: nothing of the setup is counted
    const signIn = (who: { customerId: string; email: string; password: string }) =>
      decided(who.customerId, 'sign_in', () => signInRequest(who));

    // An operator's config: one IP (or device) shared by 2 customers within 24 h scores 100.
    monitoring({ rules: { shared_device_or_ip: { min: 2, score: 100 } } });
    const first = await signIn(ann); // the first customer on this IP
    expect(first.res.status).toBe(200);
    expect(first.decision).toMatchObject({ decision: 'approve', rules: [] });
    const declined = await signIn(bob);
    expectDeclined(declined.res);
    expect(declined.res.json.sessionToken).toBeUndefined();
    expect(declined.decision).toMatchObject({ decision: 'decline', rules: ['shared_device_or_ip'] });

    // Scored 60: a review, which asks for a step-up (the rule's default).
    monitoring({ rules: { shared_device_or_ip: { min: 2, score: 60 } } });
    const held = await signIn(cat); // no second factor to step up with
    expectHeld(held.res);
    expect(held.decision).toMatchObject({
      decision: 'review',
      review: 'step_up',
      rules: ['shared_device_or_ip'],
    });
    const challenged = await signIn(dan);
    expect(challenged.res.status, challenged.res.text).toBe(200);
    expect(challenged.res.json).toMatchObject({ mfaRequired: true });
    expect(challenged.res.json.sessionToken).toBeUndefined();
    expect(challenged.decision).toMatchObject({ decision: 'review', review: 'step_up' });
    const mfa = await app().call<{ sessionToken: string }>('POST', '/v1/sessions/mfa', {
      body: { challengeId: challenged.res.json.challengeId, code: await totpCode(danTotp.secret) },
    });
    expect(mfa.status, mfa.text).toBe(200);
    expect(mfa.json.sessionToken).toEqual(expect.any(String));

    // The same score with the rule set to hold: held even with a second factor.
    monitoring({ rules: { shared_device_or_ip: { min: 2, score: 60, onReview: 'hold' } } });
    const heldWithTotp = await signIn(eve);
    expectHeld(heldWithTotp.res);
    expect(heldWithTotp.decision).toMatchObject({
      decision: 'review',
      review: 'hold',
      rules: ['shared_device_or_ip'],
    });
  });

  it('adding a card: card testing declines it (default rules) and saves nothing; scored lower it holds; a review for many cards is met by the step-up and saves it', async () => {
    const post = async (shopper: { sessionToken: string }, number: string, token?: string) =>
      app().call<{ token?: string } & ErrorJson>('POST', '/v1/me/cards', {
        auth: shopper.sessionToken,
        headers: { 'Step-Up-Token': token ?? (await stepUp(app(), shopper.sessionToken, 'add_card')) },
        body: { number, expMonth: 12, expYear: 2030, cvc: '123' },
      });
    const add = (shopper: { customerId: string; sessionToken: string }, number: string, token?: string) =>
      decided(shopper.customerId, 'add_card', () => post(shopper, number, token));
    const cardsOf = async (shopper: { sessionToken: string }) =>
      (await app().call<{ data: unknown[] }>('GET', '/v1/me/cards', { auth: shopper.sessionToken })).json
        .data;

    const tester = await registerCustomer(app());
    const token = await stepUp(app(), tester.sessionToken, 'add_card');
    monitoring('defaults');
    // Five refused numbers from one IP within an hour (a refused card does not use the step-up)...
    for (const number of [
      '4242424242424241',
      '4000056655665551',
      '5555555555554440',
      '4111111111111112',
      '378282246310006',
    ]) {
      const refused = await post(tester, number, token);
      expect([refused.status, refused.json.error?.code], refused.text).toEqual([422, 'invalid_number']);
    }
    // ...then a valid one: card_testing (100) declines it.
    const declined = await add(tester, '4242424242424242', token);
    expectDeclined(declined.res);
    expect(declined.decision).toMatchObject({ decision: 'decline', rules: ['card_testing'] });
    expect(await cardsOf(tester)).toEqual([]);

    // An operator scores card testing 60 (a review; the rule holds): the next shopper on that IP is held.
    monitoring('off');
    const next = await registerCustomer(app());
    const nextToken = await stepUp(app(), next.sessionToken, 'add_card');
    monitoring({ rules: { card_testing: { score: 60 } } });
    const held = await add(next, '5555555555554444', nextToken);
    expectHeld(held.res);
    expect(held.decision).toMatchObject({ decision: 'review', review: 'hold', rules: ['card_testing'] });
    expect(await cardsOf(next)).toEqual([]);

    // Later (the declines are out of their hour), many cards scored 50: a review met by the step-up.
    clock.advance(2 * HOUR_MS);
    monitoring('off');
    const collector = await registerCustomer(app());
    monitoring({ rules: { many_cards_per_customer: { score: 50 } } });
    for (const number of ['4242424242424242', '5555555555554444']) {
      const saved = await add(collector, number);
      expect(saved.res.status, saved.res.text).toBe(201);
      expect(saved.decision).toMatchObject({ decision: 'approve' });
    }
    const third = await add(collector, '4000056655665556');
    expect(third.res.status, third.res.text).toBe(201);
    expect(third.decision).toMatchObject({
      decision: 'review',
      review: 'step_up',
      rules: ['many_cards_per_customer'],
    });
    expect(await cardsOf(collector)).toHaveLength(3);
  });

  it('withdrawal: within 72 h of a 2FA change it is held (default rules); a step-up review lets it through; a decline blocks it; nothing moves when refused', async () => {
    const shopper = await verifiedShopperWithTotp();
    const credit = { customerId: shopper.customerId, amount: 5_000, currency: 'USD' as const };
    const reference = 'ref_01JNJ3Y7ZQ8M4N5P6Q7R8S9T0W';
    await writeTransaction([balanceCreditItem({ ...credit, reason: 'refund', reference }, clock.now())]);
    const withdraw = () =>
      decided(shopper.customerId, 'withdrawal', async () => {
        const binding = { amount: { amount: 1_000, currency: 'USD' }, payee: shopper.cardToken };
        const token = await stepUp(app(), shopper.sessionToken, 'withdrawal', binding, shopper.secret);
        return app().call<Json & ErrorJson>('POST', '/v1/me/withdrawals', {
          auth: shopper.sessionToken,
          headers: { 'Step-Up-Token': token },
          body: { amount: 1_000, currency: 'USD', cardToken: shopper.cardToken },
        });
      });
    const balance = async () =>
      (await app().call<{ balances: Json[] }>('GET', '/v1/me/balance', { auth: shopper.sessionToken })).json
        .balances;
    const withdrawals = async () =>
      ((await app().scanAll()).main ?? []).filter(
        (i) => i.type === 'withdrawal' && i.pk === `BALANCE#${shopper.customerId}`,
      );

    await moneyOutAfterSecurityChange(withdraw, withdrawals);
    // One withdrawal went through (the step-up review); the hold and the decline moved nothing.
    expect(await balance()).toEqual([{ amount: 4_000, currency: 'USD' }]);
  });

  it('money out from a device the shopper never signed in from: a high withdrawal or credit application fires new_device_high_amount (met by its step-up); from the known device it does not', async () => {
    const shopper = await verifiedShopperWithTotp();
    monitoring('defaults');
    const high = riskConfig().rules.new_device_high_amount.minAmountUsdMinor; // USD 500.00
    const credit = { customerId: shopper.customerId, amount: 2 * high, currency: 'USD' as const };
    const reference = 'ref_01JNJ3Y7ZQ8M4N5P6Q7R8S9T1X';
    await writeTransaction([balanceCreditItem({ ...credit, reason: 'refund', reference }, clock.now())]);
    // Signed in with monitoring on: this client's device (user agent and IP) is now a known one.
    const session = await signInWith2fa(app(), shopper.email, shopper.password, shopper.secret);
    const elsewhere = { 'User-Agent': 'a-device-never-seen/1.0' };
    const withdraw = (device: Record<string, string>) =>
      decided(shopper.customerId, 'withdrawal', async () => {
        const binding = { amount: { amount: high, currency: 'USD' }, payee: shopper.cardToken };
        const token = await stepUp(app(), session, 'withdrawal', binding, shopper.secret);
        return app().call<Json & ErrorJson>('POST', '/v1/me/withdrawals', {
          auth: session,
          headers: { 'Step-Up-Token': token, ...device },
          body: { amount: high, currency: 'USD', cardToken: shopper.cardToken },
        });
      });
    const fromNew = await withdraw(elsewhere);
    expect(fromNew.res.status, fromNew.res.text).toBe(201);
    expect(fromNew.decision).toMatchObject({
      decision: 'review',
      review: 'step_up',
      rules: ['new_device_high_amount'],
    });
    const fromKnown = await withdraw({});
    expect(fromKnown.res.status, fromKnown.res.text).toBe(201);
    expect(fromKnown.decision).toMatchObject({ decision: 'approve', rules: [] });

    const apply = (device: Record<string, string>) =>
      decided(shopper.customerId, 'credit_application', async () => {
        const amount = { amount: high, currency: 'USD' };
        const token = await stepUp(app(), session, 'credit_application', { amount }, shopper.secret);
        return app().call<Json & ErrorJson>('POST', '/v1/me/credit-applications', {
          auth: session,
          headers: { 'Step-Up-Token': token, ...device },
          body: { ...amount, months: 6, monthlyIncome: 300_000, monthlyObligations: 100_000 },
        });
      });
    expect((await apply(elsewhere)).decision.rules).toEqual(['new_device_high_amount']);
    expect((await apply({})).decision.rules).toEqual([]);
  });

  it('credit application: within 72 h of a 2FA change it is held (default rules); a step-up review lets it through; a decline blocks it', async () => {
    const shopper = await verifiedShopperWithTotp();
    const body = {
      amount: 30_000,
      currency: 'USD',
      months: 6,
      monthlyIncome: 300_000,
      monthlyObligations: 100_000,
    };
    const apply = () =>
      decided(shopper.customerId, 'credit_application', async () => {
        const amount = { amount: body.amount, currency: body.currency };
        const token = await stepUp(
          app(),
          shopper.sessionToken,
          'credit_application',
          { amount },
          shopper.secret,
        );
        return app().call<Json & ErrorJson>('POST', '/v1/me/credit-applications', {
          auth: shopper.sessionToken,
          headers: { 'Step-Up-Token': token },
          body,
        });
      });
    const applications = async () =>
      ((await app().scanAll()).main ?? []).filter(
        (i) => i.type === 'creditApplication' && i.pk === `CREDIT#${shopper.customerId}`,
      );

    // The 3rd application within 30 days (attempts count, the held one too) also fires
    // repeated_credit_applications.
    await moneyOutAfterSecurityChange(apply, applications, ['repeated_credit_applications']);
  });

  it('one-time codes by SMS: a review for sends to one phone still sends (and flags); a decline sends nothing; a hold rule holds', async () => {
    const shopper = await registerCustomer(app(), { phone: '+14155550142', verify: false });
    const send = () =>
      decided(shopper.customerId, 'otp_send', () =>
        app().call<{ challengeId?: string } & ErrorJson>('POST', '/v1/me/contact-verifications', {
          auth: shopper.sessionToken,
          body: { contact: 'phone' },
        }),
      );
    const texts = async () =>
      (
        await app().call<{ data: Array<{ channel?: string; reference?: string }> }>('GET', '/v1/me/outbox', {
          auth: shopper.sessionToken,
        })
      ).json.data.filter((m) => m.channel === 'sms');
    const flags = async () =>
      ((await app().scanAll()).main ?? []).filter(
        (i) => i.type === 'flag' && i.customerId === shopper.customerId,
      );

    // An operator's config: the 2nd code to one phone within an hour fires (50: a step-up review).
    monitoring({ rules: { otp_send_abuse: { min: 2 } } });
    const first = await send();
    expect(first.res.status, first.res.text).toBe(201);
    expect(first.decision).toMatchObject({ decision: 'approve', rules: [] });
    const second = await send();
    expect(second.res.status, second.res.text).toBe(201);
    expect(second.decision).toMatchObject({
      decision: 'review',
      review: 'step_up',
      rules: ['otp_send_abuse'],
    });
    // A code is itself the step-up: it is sent, and the review is flagged for an operator.
    await expect(
      outboxCode(app(), shopper.sessionToken, String(second.res.json.challengeId)),
    ).resolves.toMatch(/^\d{6}$/);
    expect(await flags()).toEqual([expect.objectContaining({ rule: 'otp_send_abuse', severity: 'medium' })]);

    const sent = (await texts()).length;
    expect(sent).toBe(2);
    monitoring({ rules: { otp_send_abuse: { min: 2, score: 100 } } });
    const declined = await send();
    expectDeclined(declined.res);
    expect(declined.decision).toMatchObject({ decision: 'decline', rules: ['otp_send_abuse'] });
    expect(await texts()).toHaveLength(sent);

    monitoring({ rules: { otp_send_abuse: { min: 2, onReview: 'hold' } } });
    const held = await send();
    expectHeld(held.res);
    expect(held.decision).toMatchObject({ decision: 'review', review: 'hold', rules: ['otp_send_abuse'] });
    expect(await texts()).toHaveLength(sent);
  });
});
