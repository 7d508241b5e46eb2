import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, inject, it, vi } from 'vitest';
import { fixedClock } from '../../functions/lib/clock.ts';
import { config as appConfig } from '../../functions/lib/config.ts';
import { ddb, tableName } from '../../functions/lib/dynamodb.ts';
import { fromUsd, usdMinorEquivalent } from '../../functions/lib/money.ts';
import { writeTransaction } from '../../functions/lib/transactions.ts';
import { riskConfig } from '../../functions/monitoring/config.ts';
import { raiseFlag } from '../../functions/monitoring/flags.ts';
import {
  assessRisk,
  assessRiskStaged,
  type RiskEvent,
  recordRiskSignal,
} from '../../functions/monitoring/risk.ts';
import { monitorStream } from '../../functions/monitoring/stream-handler.ts';
import { bucketStart, HOUR_MS, WINDOWS, type WindowName } from '../../functions/monitoring/windows.ts';
import { startStreamPoller } from '../../infra/local/streams.ts';
import { dynamoCommands } from '../support/dynamo-commands.ts';
import { actor, monitoringTables, unique } from '../support/monitoring.ts';

// The rules' edges the main monitoring suite leaves out (the IP sides, the 72 h boundary, many cards
// at checkout, the counters' TTL), what an assessment reads, the production (staged) path under a
// burst, and `flag.raised`. DynamoDB Local, injected clock, default rules.
const clock = fixedClock('2026-07-01T10:00:00Z');
monitoringTables('e');
const later = (ms: number) => clock.set(new Date(clock.now().getTime() + ms));
const config = () => riskConfig().rules;

const fired = async (event: RiskEvent) => (await assessRisk(event, clock)).fired.map((f) => f.rule);

/** The DynamoDB commands sent while `run` runs, with the key count of each BatchGetItem. */
async function commandsDuring(
  run: () => Promise<unknown>,
): Promise<{ names: string[]; batchKeys: number[] }> {
  const sent = await dynamoCommands(run);
  const keys = (input: Record<string, unknown>) =>
    Object.values((input.RequestItems ?? {}) as Record<string, { Keys?: unknown[] }>).reduce(
      (n, request) => n + (request.Keys?.length ?? 0),
      0,
    );
  return {
    names: sent.map((c) => c.name),
    batchKeys: sent.filter((c) => c.name === 'BatchGetItemCommand').map((c) => keys(c.input)),
  };
}

const READS = /^(GetItem|BatchGetItem|Query|Scan|TransactGetItems)Command$/;

describe('rule edges', { timeout: 120_000 }, () => {
  it('new device with a high amount, in JPY, USD and KWD (exponents 0, 2, 3): the threshold means the same money, converted as the callers do (usdMinorEquivalent)', async () => {
    const thresholdUsd = config().new_device_high_amount.minAmountUsdMinor / 100;
    for (const currency of ['JPY', 'USD', 'KWD'] as const) {
      const who = actor();
      await fired({ action: 'sign_in', ...who }); // the customer's usual device
      const threshold = fromUsd(thresholdUsd, currency); // USD 500.00 = JPY 75,000 = KWD 150.000
      const checkout = (amount: number) => ({
        action: 'checkout' as const,
        ...who,
        deviceId: unique('dev'),
        amountUsdMinor: usdMinorEquivalent(amount, currency),
      });
      expect(await fired(checkout(threshold - 1)), `${currency} one minor unit below`).not.toContain(
        'new_device_high_amount',
      );
      expect(await fired(checkout(threshold)), `${currency} at the threshold`).toContain(
        'new_device_high_amount',
      );
    }
  });

  it('shared device or IP, the IP side: a 3rd customer from one IP within 24 h fires (each on a device of its own), a 2nd does not', async () => {
    const ipHash = unique('ip');
    const signIn = () => ({ action: 'sign_in' as const, ...actor(), ipHash });
    expect(await fired(signIn())).not.toContain('shared_device_or_ip');
    expect(await fired(signIn())).not.toContain('shared_device_or_ip');
    expect(await fired(signIn())).toContain('shared_device_or_ip');
  });

  it('card testing, the IP side: 5 declines from one IP within 1 h fire for a new card, 4 do not', async () => {
    const who = actor();
    for (let i = 0; i < config().card_testing.min - 1; i += 1) {
      await recordRiskSignal({ signal: 'card_decline', ipHash: who.ipHash }, clock);
    }
    expect(await fired({ action: 'add_card', ...who, cardFingerprint: unique('fp') })).not.toContain(
      'card_testing',
    );
    await recordRiskSignal({ signal: 'card_decline', ipHash: who.ipHash }, clock);
    expect(await fired({ action: 'add_card', ...who, cardFingerprint: unique('fp') })).toContain(
      'card_testing',
    );
  });

  it('a decline recorded again under its name (a retried charge) counts once', async () => {
    const card = unique('fp');
    for (let i = 0; i < config().card_testing.min; i += 1) {
      await recordRiskSignal({ signal: 'card_decline', cardFingerprint: card, eventId: 'ins_1#1' }, clock);
    }
    const decision = await assessRisk({ action: 'add_card', ...actor(), cardFingerprint: card }, clock);
    expect(decision.fired.map((f) => f.rule)).not.toContain('card_testing');
  });

  it('security change then money out: 71:59:59 later fires, 72:00:00 later does not (the window is (t - 72 h, t])', async () => {
    const customerId = unique('cus');
    const withdrawal = { action: 'withdrawal' as const, customerId, amountUsdMinor: 5_000 };
    const changedAt = clock.now().getTime();
    await recordRiskSignal({ signal: 'security_change', customerId }, clock);
    clock.set(new Date(changedAt + 72 * HOUR_MS - 1_000));
    expect(await fired(withdrawal)).toContain('security_change_then_money_out');
    clock.set(new Date(changedAt + 72 * HOUR_MS));
    expect(await fired(withdrawal)).not.toContain('security_change_then_money_out');
    clock.set(new Date(changedAt + 72 * HOUR_MS + 1_000));
    expect(await fired(withdrawal)).not.toContain('security_change_then_money_out');
  });

  it('many cards at checkout: a checkout with the 3rd distinct card within 7 days fires, the 2nd does not', async () => {
    const who = actor();
    const checkout = (cardFingerprint: string) =>
      fired({ action: 'checkout', ...who, cardFingerprint, amountUsdMinor: 1_000 });
    expect(await checkout(unique('fp'))).not.toContain('many_cards_per_customer');
    later(2 * 24 * HOUR_MS);
    expect(await checkout(unique('fp'))).not.toContain('many_cards_per_customer');
    later(4 * 24 * HOUR_MS);
    expect(await checkout(unique('fp'))).toContain('many_cards_per_customer');
  });

  it('every counter carries a TTL of 2W from its bucket start: past the last read that can see it, and not forever', async () => {
    const who = actor();
    const at = clock.now().getTime();
    await assessRisk({ action: 'checkout', ...who, amountUsdMinor: 1_000 }, clock);
    const { Items = [] } = await ddb().send(
      new QueryCommand({
        TableName: tableName(),
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': `RISK#customer#${who.customerId}` },
      }),
    );
    expect(Items.map((i) => String(i.sk).split('#').slice(0, 2).join('#')).sort()).toEqual([
      'cards#7d',
      'checkouts#1h',
      'checkouts#24h',
      'checkouts#90d',
      'devices#90d',
    ]);
    for (const item of Items) {
      const window = String(item.sk).split('#')[1] as WindowName;
      const start = bucketStart(window, at);
      expect(item.ttl, String(item.sk)).toBe(Math.floor((start + 2 * WINDOWS[window]) / 1000));
      // A read sees this bucket until the bucket after next begins (start + 2W): the event stays
      // readable for its whole window, and the item goes once nothing can read it.
      expect(Number(item.ttl) * 1000).toBeGreaterThanOrEqual(at + WINDOWS[window]);
    }
  });
});

describe('what an assessment reads', { timeout: 120_000 }, () => {
  it('one BatchGetItem of a fixed number of keys, whatever the history; never a Query or Scan', async () => {
    const who = actor();
    const checkout = { action: 'checkout' as const, ...who, cardToken: unique('tok'), amountUsdMinor: 1_000 };
    const fresh = await commandsDuring(() => assessRiskStaged(checkout, clock));
    // 10 aggregates (customer checkouts 1h/24h/90d, cards 7d, devices 90d; card customers and
    // declines; IP customers and declines; device customers), 2 buckets each, and the card flag.
    expect(fresh).toEqual({ names: ['BatchGetItemCommand'], batchKeys: [21] });

    // History: 40 checkouts over 30 days, signals, declines.
    for (let i = 0; i < 40; i += 1) {
      await assessRisk({ ...checkout, amountUsdMinor: 1_000 + i }, clock);
      await recordRiskSignal({ signal: 'card_decline', cardFingerprint: who.cardFingerprint }, clock);
      later(18 * HOUR_MS);
    }
    const staged = await commandsDuring(() => assessRiskStaged(checkout, clock));
    expect(staged.names.filter((n) => READS.test(n))).toEqual(['BatchGetItemCommand']);
    expect(staged.batchKeys).toEqual([21]);

    // The other actions (which store before they answer): one BatchGetItem each, the rest writes.
    for (const event of [
      { action: 'sign_in' as const, ...who },
      { action: 'add_card' as const, ...who },
      { action: 'withdrawal' as const, customerId: who.customerId, amountUsdMinor: 5_000 },
      { action: 'credit_application' as const, customerId: who.customerId, amountUsdMinor: 5_000 },
      { action: 'otp_send' as const, customerId: who.customerId, phoneHash: unique('ph') },
    ]) {
      const { names, batchKeys } = await commandsDuring(() => assessRisk(event, clock));
      expect(
        names.filter((n) => READS.test(n)),
        event.action,
      ).toEqual(['BatchGetItemCommand']);
      expect(batchKeys[0], event.action).toBeLessThanOrEqual(2 * 6);
      for (const name of names.filter((n) => !READS.test(n))) {
        expect(name, event.action).toMatch(/^(PutItem|UpdateItem|TransactWriteItems)Command$/);
      }
    }
  });
});

describe('the production path under a burst', { timeout: 240_000 }, () => {
  it('100 parallel staged checkouts by one customer, each committed with its approval and applied by the stream consumer, count exactly 100', async () => {
    const poller = startStreamPoller({
      endpoint: inject('dynamodbEndpoint'),
      tableName: appConfig().TABLE_NAME,
      handler: monitorStream,
    });
    try {
      await poller.drain(); // what earlier tests left behind
      const who = actor();
      const checkout = { action: 'checkout' as const, ...who, amountUsdMinor: 100 };
      await Promise.all(
        Array.from({ length: 100 }, async () => {
          const staged = await assessRiskStaged(checkout, clock);
          // The approval's own transaction, with the decision riding on it (checkout/approval.ts does this).
          await writeTransaction([
            {
              Put: {
                TableName: tableName(),
                Item: { pk: `TESTAPPROVAL#${unique('a')}`, sk: 'A', type: 'testApproval', ...staged.carried },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
          ]);
        }),
      );
      // Nothing is counted before the stream delivers the approvals.
      const before = await assessRiskStaged(checkout, clock);
      expect(before.fired.map((f) => f.rule)).not.toContain('checkout_velocity_1h');
      await poller.drain();
      await poller.drain(); // a second pass finds nothing new to count
      const next = await assessRisk(checkout, clock);
      expect(next.fired.find((f) => f.rule === 'checkout_velocity_1h')?.reason).toBe(
        '101 checkouts by the customer within 1 h',
      );
    } finally {
      poller.stop();
    }
  });
});

describe('flag.raised', { timeout: 60_000 }, () => {
  let writes: string[] = [];
  afterEach(() => {
    vi.restoreAllMocks();
    delete process.env.AWS_LAMBDA_FUNCTION_NAME;
  });
  const counters = () =>
    writes
      .filter((w) => w.includes('"_aws"'))
      .map((w) => JSON.parse(w) as Record<string, unknown>)
      .flatMap((line) => ['RiskFlagRaised', 'RiskFlagRaisedHigh'].filter((name) => name in line));

  it('is audited with the flag and counted once per flag (CloudWatch counters; high severity alarms)', async () => {
    process.env.AWS_LAMBDA_FUNCTION_NAME = 'tessera-test-monitoring';
    writes = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      writes.push(String(chunk));
      return true;
    });
    const customerId = unique('cus');
    const input = {
      dedupeKey: unique('key'),
      severity: 'high' as const,
      rule: 'card_testing',
      customerId,
      evidence: { count: 5 },
    };
    const flag = await raiseFlag(input, clock);
    expect(flag?.id).toMatch(/^flg_/);
    expect(counters()).toEqual(['RiskFlagRaised', 'RiskFlagRaisedHigh']);
    // Raised again under its key (a redelivered record): no flag, no event.
    expect(await raiseFlag(input, clock)).toBeUndefined();
    expect(counters()).toHaveLength(2);
    await raiseFlag({ ...input, dedupeKey: unique('key'), severity: 'medium' }, clock);
    expect(counters()).toEqual(['RiskFlagRaised', 'RiskFlagRaisedHigh', 'RiskFlagRaised']);

    const { Items = [] } = await ddb().send(
      new QueryCommand({
        TableName: tableName(),
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': `AUDIT#${customerId}` },
      }),
    );
    const audited = Items.filter((i) => i.action === 'flag.raised').map((i) => i.metadata);
    expect(audited).toHaveLength(2);
    expect(audited).toEqual(
      expect.arrayContaining([
        { flagId: flag?.id, severity: 'high' },
        expect.objectContaining({ severity: 'medium' }),
      ]),
    );
  });
});
