import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { fixedClock } from '../../functions/lib/clock.ts';
import { appWithClock } from '../support/app.ts';
import { checkoutFixtures, type Json } from '../support/checkout.ts';
import { registerCustomer, stepUp } from '../support/customers.ts';
import { withDefaultRiskRules } from '../support/monitoring.ts';

// Card testing ("5+ declines per card or IP in 1 h") counts the declines of a card wherever they
// happen, through the real routes: the vault refusing a card being added, and the processor
// declining a charge. Default rules (not the lenient test config).
withDefaultRiskRules();
const clock = fixedClock('2026-08-03T10:00:00Z');
const testApp = appWithClock(clock);
const { newMerchant, newShopper, openSession, approve, merchantPost } = checkoutFixtures(testApp);
type ErrorJson = { error?: { code: string } };

/**
 * `POST /v1/me/cards` over a connection from `ip` (a loopback address of its own): the gateway
 * sees the TCP peer as API Gateway does, so each call comes from another IP.
 */
function addCardFrom(ip: string, session: string, stepUpToken: string, card: Json) {
  const url = new URL('/v1/me/cards', testApp().url);
  const body = JSON.stringify(card);
  return new Promise<{ status: number; json: ErrorJson }>((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        localAddress: ip,
        headers: {
          Authorization: `Bearer ${session}`,
          'Step-Up-Token': stepUpToken,
          'Content-Type': 'application/json',
          'Content-Length': Buffer.byteLength(body),
        },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk) => {
          text += String(chunk);
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text || '{}') }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('card testing counts every decline of a card', { timeout: 240_000 }, () => {
  it('5 refusals of one card number from 5 IPs decline the next attempt to add it; 4 do not', async () => {
    const shopper = await registerCustomer(testApp());
    const number = '4012888888881881';
    const expired = { number, expMonth: 1, expYear: 2026, cvc: '123' };
    const good = { number, expMonth: 12, expYear: 2030, cvc: '123' };
    // A refused card leaves the step-up unused: one token serves every refusal.
    let token = await stepUp(testApp(), shopper.sessionToken, 'add_card');
    for (let i = 2; i <= 5; i += 1) {
      const refused = await addCardFrom(`127.0.0.${i}`, shopper.sessionToken, token, expired);
      expect(refused.json.error?.code, `attempt from 127.0.0.${i}`).toBe('expired_card');
    }
    // 4 declines of the card (1 per IP): below the threshold, the card is saved.
    expect((await addCardFrom('127.0.0.6', shopper.sessionToken, token, good)).status).toBe(201);
    token = await stepUp(testApp(), shopper.sessionToken, 'add_card');
    expect((await addCardFrom('127.0.0.7', shopper.sessionToken, token, expired)).json.error?.code).toBe(
      'expired_card',
    );
    // The 5th decline of the card within the hour: the next attempt, from yet another IP, is declined.
    const next = await addCardFrom('127.0.0.8', shopper.sessionToken, token, good);
    expect(next.status).toBe(402);
    expect(next.json.error?.code).toBe('risk_declined');
    const decisions = ((await testApp().scanAll()).main ?? []).filter(
      (item) =>
        item.type === 'riskDecision' && item.customerId === shopper.customerId && item.decision === 'decline',
    );
    expect(decisions.map((d) => (d.fired as Array<{ rule: string }>).map((f) => f.rule))).toEqual([
      ['card_testing'],
    ]);
  });

  it("5 declined charges of a card (capture's first installment) decline the next checkout with it; 4 do not", async () => {
    const merchant = await newMerchant();
    const shopper = await newShopper('4000000000000002'); // the sandbox declines every charge
    const declinedCapture = async () => {
      const session = await openSession(merchant.apiKey, 5_000);
      const approval = await approve(shopper, session.id);
      expect(approval.status, JSON.stringify(approval.json)).toBe(200);
      const order = await merchantPost<{ id: string }>(merchant.apiKey, '/v1/orders', {
        authorizationToken: approval.json.authorizationToken,
      });
      expect(order.status).toBe(201);
      const capture = await merchantPost(merchant.apiKey, `/v1/orders/${order.json.id}/captures`, {
        amount: 5_000,
      });
      expect(capture.status).toBe(201);
      const got = await testApp().call<{ installments: Json[] }>('GET', `/v1/orders/${order.json.id}`, {
        auth: merchant.apiKey,
      });
      expect(got.json.installments[0]).toMatchObject({ status: 'failed', failureCode: 'card_declined' });
    };
    // 4 declines, then a 5th checkout that is still approved (and whose capture is the 5th decline).
    for (let i = 0; i < 5; i += 1) await declinedCapture();
    const refused = await approve(shopper, (await openSession(merchant.apiKey, 5_000)).id);
    expect(refused.status).toBe(402);
    expect((refused.json as unknown as ErrorJson).error?.code).toBe('risk_declined');
    const decisions = ((await testApp().scanAll()).main ?? []).filter(
      (item) =>
        item.type === 'riskDecision' && item.customerId === shopper.customerId && item.decision === 'decline',
    );
    expect(decisions).toHaveLength(1);
    expect(decisions[0]?.fired).toEqual([
      expect.objectContaining({ rule: 'card_testing', reason: '5 declines on the card or IP within 1 h' }),
    ]);
  });
});
