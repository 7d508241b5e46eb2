import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, inject, it } from 'vitest';
import { cardFlaggedItem } from '../../functions/disputes/store.ts';
import { fixedClock } from '../../functions/lib/clock.ts';
import { config as appConfig } from '../../functions/lib/config.ts';
import { ddb, tableName } from '../../functions/lib/dynamodb.ts';
import { writeTransaction } from '../../functions/lib/transactions.ts';
import { riskConfig } from '../../functions/monitoring/config.ts';
import { listFlags, resolveFlag } from '../../functions/monitoring/flags.ts';
import {
  assessRisk,
  assessRiskStaged,
  hasOpenHighSeverityFlag,
  type RiskEvent,
  recordRiskSignal,
} from '../../functions/monitoring/risk.ts';
import { monitorChange } from '../../functions/monitoring/stream.ts';
import { monitorStream } from '../../functions/monitoring/stream-handler.ts';
import { startStreamPoller } from '../../infra/local/streams.ts';
import { actor, monitoringTables, unique } from '../support/monitoring.ts';

// Each rule fires at its threshold and not one below, against DynamoDB Local, under an injected
// clock. Every test uses its own customer, card, device and IP, so the aggregates never mix.
const clock = fixedClock('2026-07-01T10:00:00Z');
monitoringTables('m');
const later = (ms: number) => clock.set(new Date(clock.now().getTime() + ms));
const MINUTE = 60_000;

/** The rules that fired for `event`, by name. */
async function fired(event: RiskEvent): Promise<string[]> {
  return (await assessRisk(event, clock)).fired.map((f) => f.rule);
}

const config = () => riskConfig().rules;

describe('each real-time rule fires at its threshold and not one below', { timeout: 120_000 }, () => {
  it('checkout velocity: the 6th checkout within 1 h fires, the 5th does not', async () => {
    const who = actor();
    const checkout = { action: 'checkout' as const, ...who, amountUsdMinor: 1_000 };
    for (let i = 1; i <= config().checkout_velocity_1h.max; i += 1) {
      expect(await fired(checkout), `checkout ${i}`).not.toContain('checkout_velocity_1h');
      later(MINUTE);
    }
    expect(await fired(checkout)).toContain('checkout_velocity_1h');
  });

  it('checkout velocity over 24 h: the 16th fires, the 15th does not', async () => {
    const who = actor();
    const checkout = { action: 'checkout' as const, ...who, amountUsdMinor: 1_000 };
    for (let i = 1; i <= config().checkout_velocity_24h.max; i += 1) {
      expect(await fired(checkout), `checkout ${i}`).not.toContain('checkout_velocity_24h');
      later(MINUTE);
    }
    expect(await fired(checkout)).toContain('checkout_velocity_24h');
  });

  it('amount spike: 5x the 90-day average fires, just under does not; no history, no rule', async () => {
    const who = actor();
    const at = (amountUsdMinor: number) => ({ action: 'checkout' as const, ...who, amountUsdMinor });
    expect(await fired(at(1_000_000))).not.toContain('amount_spike'); // no history yet
    later(2 * 3_600_000);
    for (let i = 0; i < 2; i += 1) {
      await fired(at(10_000));
      later(2 * 3_600_000);
    }
    // History: 1,000,000 + 10,000 + 10,000 over 3 checkouts = 340,000 average.
    expect(await fired(at(5 * 340_000 - 1))).not.toContain('amount_spike');
    later(2 * 3_600_000);
    // Now 4 checkouts: (1,020,000 + 1,699,999) / 4 = 679,999.75 average.
    expect(await fired(at(Math.ceil(5 * 679_999.75)))).toContain('amount_spike');
  });

  it('amount spike needs its minimum history: 5x after 2 checkouts does not fire, after 3 it does', async () => {
    const { minHistory, ratio } = config().amount_spike;
    expect(minHistory).toBe(3);
    /** A customer with `n` checkouts of 10,000 in the last 90 days, then one of `ratio` times that. */
    const spikeAfter = async (n: number) => {
      const who = actor();
      const at = (amountUsdMinor: number) => ({ action: 'checkout' as const, ...who, amountUsdMinor });
      for (let i = 0; i < n; i += 1) {
        await fired(at(10_000));
        later(2 * 3_600_000);
      }
      return fired(at(ratio * 10_000));
    };
    expect(await spikeAfter(minHistory - 1)).not.toContain('amount_spike');
    expect(await spikeAfter(minHistory)).toContain('amount_spike');
  });

  it('many cards per customer: the 3rd distinct card within 7 days fires, the 2nd does not', async () => {
    const who = actor();
    const add = (cardFingerprint: string) => ({ action: 'add_card' as const, ...who, cardFingerprint });
    expect(await fired(add(unique('fp')))).not.toContain('many_cards_per_customer');
    expect(await fired(add(unique('fp')))).not.toContain('many_cards_per_customer');
    expect(await fired(add(unique('fp')))).toContain('many_cards_per_customer');
  });

  it('shared card: a checkout with a fingerprint a 2nd customer used within 30 days fires; the same customer again does not', async () => {
    const card = unique('fp');
    const first = { action: 'checkout' as const, ...actor(), cardFingerprint: card, amountUsdMinor: 1_000 };
    expect(await fired(first)).not.toContain('shared_card');
    expect(await fired(first)).not.toContain('shared_card');
    later(20 * 24 * 3_600_000);
    // Adding it is not refused (the stream consumer flags it); paying with it is.
    const second = { ...actor(), cardFingerprint: card };
    expect(await fired({ action: 'add_card', ...second })).not.toContain('shared_card');
    expect(await fired({ action: 'checkout', ...second, amountUsdMinor: 1_000 })).toContain('shared_card');
  });

  it('shared device or IP: a 3rd customer on one device within 24 h fires, a 2nd does not', async () => {
    const device = unique('dev');
    const signIn = () => ({ action: 'sign_in' as const, ...actor(), deviceId: device });
    expect(await fired(signIn())).not.toContain('shared_device_or_ip');
    expect(await fired(signIn())).not.toContain('shared_device_or_ip');
    expect(await fired(signIn())).toContain('shared_device_or_ip');
  });

  it('2FA failure burst: sign-in after 5 failures within 1 h fires, after 4 does not', async () => {
    const who = actor();
    for (let i = 0; i < config().twofa_failure_burst.min - 1; i += 1) {
      await recordRiskSignal({ signal: 'twofa_failure', customerId: who.customerId }, clock);
    }
    expect(await fired({ action: 'sign_in', ...who })).not.toContain('twofa_failure_burst');
    await recordRiskSignal({ signal: 'twofa_failure', customerId: who.customerId }, clock);
    expect(await fired({ action: 'sign_in', ...who })).toContain('twofa_failure_burst');
  });

  it('OTP send abuse: the 10th code to one phone within 1 h fires, the 9th does not', async () => {
    const phoneHash = unique('ph');
    for (let i = 1; i < config().otp_send_abuse.min; i += 1) {
      expect(
        await fired({ action: 'otp_send', customerId: unique('cus'), phoneHash }),
        `send ${i}`,
      ).not.toContain('otp_send_abuse');
    }
    expect(await fired({ action: 'otp_send', customerId: unique('cus'), phoneHash })).toContain(
      'otp_send_abuse',
    );
  });

  it('new device with a high amount: fires at the threshold on an unknown device, not one unit below, not on a known one', async () => {
    const who = actor();
    await fired({ action: 'sign_in', ...who }); // the customer's usual device
    const threshold = config().new_device_high_amount.minAmountUsdMinor;
    const elsewhere = { ...who, deviceId: unique('dev') };
    expect(await fired({ action: 'checkout', ...elsewhere, amountUsdMinor: threshold - 1 })).not.toContain(
      'new_device_high_amount',
    );
    expect(await fired({ action: 'checkout', ...who, amountUsdMinor: threshold })).not.toContain(
      'new_device_high_amount',
    );
    const other = { ...who, deviceId: unique('dev') };
    expect(await fired({ action: 'checkout', ...other, amountUsdMinor: threshold })).toContain(
      'new_device_high_amount',
    );
  });

  it('a contact or 2FA change then money out within 72 h fires; after 72 h+ it does not', async () => {
    const who = actor();
    const withdrawal = { action: 'withdrawal' as const, customerId: who.customerId, amountUsdMinor: 5_000 };
    expect(await fired(withdrawal)).not.toContain('security_change_then_money_out');
    await recordRiskSignal({ signal: 'security_change', customerId: who.customerId }, clock);
    later(71 * 3_600_000);
    expect(await fired(withdrawal)).toContain('security_change_then_money_out');
    later(150 * 3_600_000);
    expect(await fired(withdrawal)).not.toContain('security_change_then_money_out');
  });

  it('card testing: a checkout after 5 declines on the card within 1 h fires, after 4 does not', async () => {
    const who = actor();
    for (let i = 0; i < config().card_testing.min - 1; i += 1) {
      await recordRiskSignal({ signal: 'card_decline', cardFingerprint: who.cardFingerprint }, clock);
    }
    expect(await fired({ action: 'add_card', ...who })).not.toContain('card_testing');
    await recordRiskSignal({ signal: 'card_decline', ipHash: who.ipHash }, clock);
    expect(await fired({ action: 'add_card', ...who, cardFingerprint: unique('fp') })).not.toContain(
      'card_testing',
    );
    await recordRiskSignal({ signal: 'card_decline', cardFingerprint: who.cardFingerprint }, clock);
    expect(await fired({ action: 'add_card', ...who })).toContain('card_testing');
  });

  it('repeated credit applications: the 3rd within 30 days fires, the 2nd does not', async () => {
    const customerId = unique('cus');
    const apply = { action: 'credit_application' as const, customerId, amountUsdMinor: 100_000 };
    expect(await fired(apply)).not.toContain('repeated_credit_applications');
    expect(await fired(apply)).not.toContain('repeated_credit_applications');
    expect(await fired(apply)).toContain('repeated_credit_applications');
  });
});

describe('decisions and flags', { timeout: 120_000 }, () => {
  it('declines a checkout with a card a fraud-confirmed dispute flagged, by fingerprint whatever the token (read in the same BatchGetItem)', async () => {
    const who = actor();
    const checkout = { action: 'checkout' as const, ...who, cardToken: unique('tok'), amountUsdMinor: 1_000 };
    expect((await assessRisk(checkout, clock)).decision).toBe('approve');
    await writeTransaction([cardFlaggedItem(who.cardFingerprint, 'dsp_test', clock.now().toISOString())]);
    // Another token of the same card number (deleted and added again): still the flagged card.
    const flagged = await assessRisk({ ...checkout, cardToken: unique('tok') }, clock);
    expect(flagged).toMatchObject({
      decision: 'decline',
      fired: [expect.objectContaining({ rule: 'flagged_card' })],
    });
  });

  it('maps the total score to approve, review (step-up or hold) and decline, and flags what is not approved', async () => {
    const who = actor();
    const approve = await assessRisk({ action: 'checkout', ...who, amountUsdMinor: 1_000 }, clock);
    expect(approve).toMatchObject({ decision: 'approve', score: 0, fired: [] });

    // Card testing alone scores 100: decline, and a high-severity flag holds money leaving.
    for (let i = 0; i < 5; i += 1)
      await recordRiskSignal({ signal: 'card_decline', ipHash: who.ipHash }, clock);
    const decline = await assessRisk({ action: 'add_card', ...who }, clock);
    expect(decline).toMatchObject({ decision: 'decline', score: 100 });
    expect(await hasOpenHighSeverityFlag(who.customerId)).toBe(true);
    const flags = (await listFlags('open', 100)).flags.filter((f) => f.customerId === who.customerId);
    expect(flags).toHaveLength(1);
    expect(flags[0]).toMatchObject({ severity: 'high', rule: 'card_testing' });
    expect(flags[0]?.evidence.decisionId).toBe(decline.id);

    // Resolving it lets money leave again; resolving twice changes nothing.
    const resolved = await resolveFlag(
      flags[0]?.id ?? '',
      { resolution: 'false_positive', operator: 'arn:op' },
      clock,
    );
    expect(resolved.status).toBe('resolved');
    await resolveFlag(flags[0]?.id ?? '', { resolution: 'false_positive', operator: 'arn:op' }, clock);
    expect(await hasOpenHighSeverityFlag(who.customerId)).toBe(false);

    // A security change before a withdrawal: score 60, a review that holds for an operator.
    const other = actor();
    await recordRiskSignal({ signal: 'security_change', customerId: other.customerId }, clock);
    const review = await assessRisk(
      { action: 'withdrawal', customerId: other.customerId, amountUsdMinor: 100 },
      clock,
    );
    expect(review).toMatchObject({ decision: 'review', review: 'hold', score: 60 });
  });

  it("staged (checkout): the decision rides on the caller's item or not at all; the stream stores and counts a committed one once", async () => {
    const who = actor();
    const stored = async (id: string) =>
      (
        await ddb().send(
          new GetCommand({ TableName: tableName(), Key: { pk: `RISKDECISION#${id}`, sk: 'DECISION' } }),
        )
      ).Item;
    const checkout = { action: 'checkout' as const, ...who, amountUsdMinor: 1_000 };
    const velocity = async () =>
      (await assessRisk(checkout, clock)).fired.find((f) => f.rule === 'checkout_velocity_1h')?.reason;
    // The caller's item (an approval): inserted once, conditionally, with the decision riding on it.
    const approval = (carried: object) => ({
      Put: {
        TableName: tableName(),
        Item: { pk: `TESTAPPROVAL#${unique('a')}`, sk: 'A', type: 'testApproval', ...carried },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    });

    // Five committed checkouts, each delivered by the stream twice (a redelivered batch), and updated
    // once later (a redemption: MODIFY, which the event filter does not deliver in AWS).
    for (let i = 0; i < 5; i += 1) {
      const staged = await assessRiskStaged(checkout, clock);
      expect(staged).toMatchObject({ decision: 'approve', carried: { riskStaged: { id: staged.id } } });
      const item = approval(staged.carried ?? {});
      await writeTransaction([item]);
      // The record is the stream's to write: nothing yet.
      expect(await stored(staged.id)).toBeUndefined();
      const image = (
        await ddb().send(new GetCommand({ TableName: tableName(), Key: { pk: item.Put.Item.pk, sk: 'A' } }))
      ).Item as Record<string, unknown>;
      await monitorChange(image, clock);
      await monitorChange(image, clock);
      await monitorChange({ ...image, status: 'used' }, clock, 'MODIFY');
      expect(await stored(staged.id)).toMatchObject({
        decision: 'approve',
        customerId: who.customerId,
        action: 'checkout',
        fired: [],
        at: clock.now().toISOString(),
      });
    }
    // A staged step-up review (the 6th checkout within the hour) whose transaction never ran (the
    // step-up refused): flagged, with its record stored beside the flag so that the flag's evidence
    // names a stored decision, but not counted: attempts without an approval reach no counter.
    const abandoned = await assessRiskStaged(checkout, clock);
    expect(abandoned).toMatchObject({ decision: 'review', review: 'step_up' });
    expect(await stored(abandoned.id)).toMatchObject({ decision: 'review', customerId: who.customerId });
    const flags = (await listFlags('open', 100)).flags.filter((f) => f.customerId === who.customerId);
    expect(flags.map((f) => f.evidence.decisionId)).toEqual([abandoned.id]);
    // The 6th checkout within the hour fires (5 counted, each once, plus itself).
    expect(await velocity()).toBe('6 checkouts by the customer within 1 h');

    // A decline is stored and counted before it returns: there is no transaction to carry it.
    await writeTransaction([cardFlaggedItem(who.cardFingerprint, 'dsp_staged', clock.now().toISOString())]);
    const declined = await assessRiskStaged(checkout, clock);
    expect(declined).toMatchObject({ decision: 'decline' });
    expect(declined.carried).toBeUndefined();
    expect(await stored(declined.id)).toMatchObject({ decision: 'decline' });
    expect(await velocity()).toBe('8 checkouts by the customer within 1 h');
  });

  // 100 parallel checkouts through the staged (production) path: monitoring-edges.test.ts.

  it('the stream consumer flags every customer on a shared card once, and a 2FA lock', async () => {
    const card = unique('fp');
    const customers = [unique('cus'), unique('cus')];
    for (const customerId of customers)
      await assessRisk({ action: 'add_card', customerId, cardFingerprint: card }, clock);
    const image = {
      type: 'riskAggregate',
      pk: `RISK#card#${card}`,
      sk: 'customers#30d#2026-06-30T00:00:00.000Z',
      events: new Set(customers.map((c, i) => `${c}|${clock.now().getTime()}|n${i}`)),
    };
    const first = await monitorChange(image, clock);
    expect(first).toMatch(/^flg_/);
    expect(await monitorChange(image, clock)).toBeUndefined(); // a redelivered record
    const flag = (await listFlags('open', 100)).flags.find((f) => f.id === first);
    expect(flag?.evidence.customers).toBe([...customers].sort().join(','));

    const locked = await monitorChange(
      { type: 'audit', id: unique('evt'), action: 'twofa.locked', subject: customers[0] },
      clock,
    );
    expect((await listFlags('open', 100)).flags.find((f) => f.id === locked)).toMatchObject({
      rule: 'twofa_lock',
      customerId: customers[0],
    });
    expect(
      await monitorChange({ type: 'audit', id: unique('evt'), action: 'customer.signed_in' }, clock),
    ).toBeUndefined();
  });

  it('locally, the stream poller feeds the consumer as the event source mapping does in AWS', async () => {
    const poller = startStreamPoller({
      endpoint: inject('dynamodbEndpoint'),
      tableName: appConfig().TABLE_NAME,
      handler: monitorStream,
    });
    try {
      const card = unique('fp');
      const customers = [unique('cus'), unique('cus')];
      for (const customerId of customers) {
        await assessRisk({ action: 'add_card', customerId, cardFingerprint: card }, clock);
      }
      expect(await poller.drain()).toBeGreaterThan(0);
      const flag = (await listFlags('open', 100)).flags.find((f) => f.evidence.entityHash === card);
      expect(flag).toMatchObject({ rule: 'shared_card', evidence: { count: 2 } });
    } finally {
      poller.stop();
    }
  });

  it('audited security changes and 2FA failures reach the rules through the stream, once each; sign-in after a 2FA failure burst is flagged', async () => {
    const who = actor();
    const audit = (action: string, id = unique('evt')) => ({
      type: 'audit',
      id,
      action,
      subject: who.customerId,
      at: clock.now().toISOString(),
    });
    const failures = Array.from({ length: 5 }, () => audit('twofa.failed'));
    for (const image of failures.slice(0, 4)) await monitorChange(image, clock);
    await monitorChange(failures[0] ?? {}, clock); // a redelivered record counts once
    expect(await fired({ action: 'sign_in', ...who })).not.toContain('twofa_failure_burst');
    await monitorChange(failures[4] ?? {}, clock);
    const signIn = await assessRisk({ action: 'sign_in', ...who, deviceId: unique('dev') }, clock);
    expect(signIn).toMatchObject({ decision: 'review', review: 'step_up' });
    expect(
      (await listFlags('open', 100)).flags.find((f) => f.evidence.decisionId === signIn.id),
    ).toMatchObject({
      customerId: who.customerId,
      severity: 'medium',
      rule: 'twofa_failure_burst',
    });

    const withdrawal = { action: 'withdrawal' as const, customerId: who.customerId, amountUsdMinor: 100 };
    expect(await fired(withdrawal)).not.toContain('security_change_then_money_out');
    await monitorChange(audit('customer.contact_changed'), clock);
    expect(await fired(withdrawal)).toContain('security_change_then_money_out');
  });

  it('RISK_CONFIG overrides thresholds; an invalid one is a clear error', async () => {
    process.env.RISK_CONFIG = JSON.stringify({ rules: { checkout_velocity_1h: { max: 1 } } });
    try {
      expect(riskConfig().rules.checkout_velocity_1h.max).toBe(1);
      expect(riskConfig().rules.checkout_velocity_24h.max).toBe(15);
      process.env.RISK_CONFIG = '{"reviewAt": -1}';
      expect(() => riskConfig()).toThrow(/RISK_CONFIG is invalid/);
      process.env.RISK_CONFIG = '{"reviewAt": 120}';
      expect(() => riskConfig()).toThrow(/reviewAt must be below declineAt/);
      process.env.RISK_CONFIG = 'not json';
      expect(() => riskConfig()).toThrow('RISK_CONFIG is not valid JSON');
    } finally {
      delete process.env.RISK_CONFIG;
    }
  });
});
