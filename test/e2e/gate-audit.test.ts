/**
 * Issue 11, "Audit: every gate decision (allowed or refused, and why), with no personal data in
 * clear": each gated action (README, "the gates"; lib/gate-audit.ts) leaves one `gate.<action>`
 * audit item per decision, `allowed` with what passed (`checks`), or the refusal's code. Over HTTP,
 * against DynamoDB Local. (The withdrawal's and credit application's refusals are also audited in
 * their own files: balance-withdrawal.test.ts, credit.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { balanceCreditItem } from '../../functions/balance/credits.ts';
import { fixedClock } from '../../functions/lib/clock.ts';
import { writeTransaction } from '../../functions/lib/transactions.ts';
import { appWithClock } from '../support/app.ts';
import { checkoutFixtures, idempotencyKey, type Json } from '../support/checkout.ts';
import { registerCustomer, signIn, stepUp } from '../support/customers.ts';

const clock = fixedClock('2026-10-05T10:00:00.000Z');
const app = appWithClock(clock);
const { newMerchant, openSession, approve, capturedOrder } = checkoutFixtures(app);

const CARD = '4242424242424242';
const DOCUMENT = 'P98765432';
const PHONE = '+14155550177';

type Audit = { action: string; subject: string; reason: string; metadata: Record<string, unknown> };

/** One second on: the decisions of one test sort by time (the clock is fixed). */
const tick = () => clock.advance(1_000);

/** The gate decisions of `customerId` for `action`, oldest first: [reason, checks]. */
async function decisions(customerId: string, action: string) {
  const items = ((await app().scanAll()).main ?? []) as unknown as Array<
    Audit & { type: string; sk: string }
  >;
  return items
    .filter((i) => i.type === 'audit' && i.subject === customerId && i.action === `gate.${action}`)
    .sort((a, b) => a.sk.localeCompare(b.sk))
    .map((i) => [i.reason, i.metadata.checks]);
}

/** A shopper with a verified email (and phone, if given), a saved card, and no KYC yet. */
async function shopper(phone?: string) {
  const registered = await registerCustomer(app(), phone ? { phone } : {});
  const token = await stepUp(app(), registered.sessionToken, 'add_card');
  const card = await app().call<{ token: string }>('POST', '/v1/me/cards', {
    auth: registered.sessionToken,
    headers: { 'Step-Up-Token': token },
    body: { number: CARD, expMonth: 12, expYear: 2030, cvc: '123' },
  });
  expect(card.status, card.text).toBe(201);
  return { ...registered, cardToken: card.json.token };
}

describe('every gate decision is audited, allowed or refused, and why', { timeout: 180_000 }, () => {
  it('checkout approval: the step-up gate (required, invalid, verified, not required) and its credit-limit check', async () => {
    const merchant = await newMerchant();
    const s = await shopper();
    const big = await openSession(merchant.apiKey, 60_000);
    tick();
    const none = await approve(s, big.id);
    expect([none.status, (none.json as Json).error]).toMatchObject([403, { code: 'step_up_required' }]);
    const wrong = await stepUp(app(), s.sessionToken, 'authorize_checkout', {
      amount: { amount: 59_999, currency: 'USD' },
      payee: merchant.id,
    });
    tick();
    const invalid = await approve(s, big.id, {}, { 'Step-Up-Token': wrong });
    expect([invalid.status, (invalid.json as Json).error]).toMatchObject([403, { code: 'step_up_invalid' }]);
    const right = await stepUp(app(), s.sessionToken, 'authorize_checkout', {
      amount: { amount: 60_000, currency: 'USD' },
      payee: merchant.id,
    });
    tick();
    expect((await approve(s, big.id, {}, { 'Step-Up-Token': right })).status).toBe(200);
    const small = await openSession(merchant.apiKey, 40_000);
    tick();
    expect((await approve(s, small.id)).status).toBe(200);

    expect(await decisions(s.customerId, 'authorize_checkout')).toEqual([
      ['step_up_required', undefined],
      ['step_up_invalid', undefined],
      ['allowed', 'risk=approve,stepUp=verified,creditLimit=none'],
      ['allowed', 'risk=approve,stepUp=not_required,creditLimit=none'],
    ]);
  });

  it('balance payment: refused above the balance, allowed within it', async () => {
    const merchant = await newMerchant();
    const s = await shopper();
    const order = await capturedOrder(merchant, s, 40_000);
    const pay = () => {
      tick();
      return app().call<Json>('POST', `/v1/me/orders/${order.id}/balance-payments`, {
        auth: s.sessionToken,
        headers: { 'Idempotency-Key': idempotencyKey() },
        body: {},
      });
    };
    const short = await pay();
    expect([short.status, (short.json.error as Json).code]).toEqual([422, 'insufficient_balance']);
    const credit = { customerId: s.customerId, currency: 'USD' as const, reason: 'refund' as const };
    await writeTransaction([
      balanceCreditItem({ ...credit, amount: 30_000, reference: 're_gate_audit' }, clock.now()),
    ]);
    const paid = await pay();
    expect(paid.status, paid.text).toBe(200);
    expect(await decisions(s.customerId, 'balance_payment')).toEqual([
      ['insufficient_balance', undefined],
      ['allowed', 'balance=covered'],
    ]);
  });

  it('the KYC gate in front of credit and withdrawals: refused unverified, allowed verified; no personal data in any gate audit', async () => {
    const s = await shopper(PHONE);
    const body = {
      amount: 20_000,
      currency: 'USD',
      months: 6,
      monthlyIncome: 300_000,
      monthlyObligations: 0,
    };
    const token = () =>
      stepUp(app(), s.sessionToken, 'credit_application', { amount: { amount: 20_000, currency: 'USD' } });
    const apply = async () => {
      const approval = await token();
      tick();
      return app().call<Json>('POST', '/v1/me/credit-applications', {
        auth: s.sessionToken,
        headers: { 'Step-Up-Token': approval },
        body,
      });
    };
    const refused = await apply();
    expect([refused.status, (refused.json.error as Json).code]).toEqual([403, 'identity_not_verified']);
    const kyc = await app().call<{ status: string }>('POST', '/v1/me/identity-verifications', {
      auth: s.sessionToken,
      body: { documentType: 'passport', documentNumber: DOCUMENT, country: 'IE' },
    });
    expect(kyc.json.status).toBe('verified');
    expect((await apply()).status).toBe(201);
    expect(await decisions(s.customerId, 'credit_application')).toEqual([
      ['identity_not_verified', undefined],
      ['allowed', 'identity=verified,risk=approve,stepUp=verified,applicationsIn30Days=1/3'],
    ]);

    // A withdrawal allowed: every check it passed, named.
    await writeTransaction([
      balanceCreditItem(
        {
          customerId: s.customerId,
          currency: 'USD',
          reason: 'refund',
          amount: 2_000,
          reference: 're_gate_kyc',
        },
        clock.now(),
      ),
    ]);
    // Past the code-send window (5 per 15 minutes), signed in again (sessions last 15 minutes).
    clock.advance(16 * 60_000);
    const session = await signIn(app(), s.email, s.password);
    const binding = { amount: { amount: 1_000, currency: 'USD' }, payee: s.cardToken };
    const withdrawal = await app().call('POST', '/v1/me/withdrawals', {
      auth: session,
      headers: { 'Step-Up-Token': await stepUp(app(), session, 'withdrawal', binding) },
      body: { amount: 1_000, currency: 'USD', cardToken: s.cardToken },
    });
    expect(withdrawal.status, withdrawal.text).toBe(201);
    expect(await decisions(s.customerId, 'withdrawal')).toEqual([
      ['allowed', 'identity=verified,accountFlags=none,risk=approve,stepUp=verified,balance=covered'],
    ]);

    // Ids, amounts, statuses and codes only: no email, phone, document or card number, password.
    const gates = ((await app().scanAll()).main ?? []).filter(
      (i) => i.type === 'audit' && String(i.action).startsWith('gate.') && i.subject === s.customerId,
    );
    expect(gates.length).toBe(3);
    const text = JSON.stringify(gates);
    for (const secret of [s.email, PHONE, DOCUMENT, CARD, s.password]) expect(text).not.toContain(secret);
  });

  it('the step-up gate of actions that move no money: each refusal audited with its check (missing, forged, another action, already used)', async () => {
    const s = await shopper();
    const addCard = (token: string | undefined, number: string) =>
      app().call<Json>('POST', '/v1/me/cards', {
        auth: s.sessionToken,
        headers: token ? { 'Step-Up-Token': token } : {},
        body: { number, expMonth: 12, expYear: 2030, cvc: '123' },
      });
    const codeOf = (r: { json: Json }) => (r.json.error as Json).code;
    tick();
    expect(codeOf(await addCard(undefined, '5555555555554444'))).toBe('step_up_required');
    tick();
    expect(codeOf(await addCard('forged.token', '5555555555554444'))).toBe('step_up_invalid');
    const forPassword = await stepUp(app(), s.sessionToken, 'change_password');
    tick();
    expect(codeOf(await addCard(forPassword, '5555555555554444'))).toBe('step_up_invalid');
    const once = await stepUp(app(), s.sessionToken, 'add_card');
    tick();
    expect((await addCard(once, '5555555555554444')).status).toBe(201);
    tick();
    expect(codeOf(await addCard(once, '4000056655665556'))).toBe('step_up_invalid');
    tick();
    const password = await app().call<Json>('POST', '/v1/me/password', {
      auth: s.sessionToken,
      body: { currentPassword: s.password, newPassword: 'another long passphrase 42' },
    });
    expect(codeOf(password)).toBe('step_up_required');

    const items = ((await app().scanAll()).main ?? []) as unknown as Array<
      Audit & { type: string; sk: string }
    >;
    const refusals = items
      .filter((i) => i.type === 'audit' && i.subject === s.customerId && i.action === 'gate.step_up')
      .sort((a, b) => a.sk.localeCompare(b.sk))
      .map((i) => [i.metadata.stepUpAction, i.reason, i.metadata.check]);
    expect(refusals).toEqual([
      ['add_card', 'step_up_required', 'missing'],
      ['add_card', 'step_up_invalid', 'signature_or_expiry'],
      ['add_card', 'step_up_invalid', 'action'],
      ['add_card', 'step_up_invalid', 'already_used'],
      ['change_password', 'step_up_required', 'missing'],
    ]);
  });
});
