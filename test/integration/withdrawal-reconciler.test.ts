/**
 * The withdrawal reconciler against DynamoDB Local (issue 11): a payout whose answer was lost leaves
 * the withdrawal `pending`; past the timeout the reconciler settles it from the processor's record of
 * the payout key: paid, or reversed (refused, or never received) with the reversal and `failed` in
 * one transaction; a processor that cannot answer leaves it for the next run. Nothing is paid twice.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { applyBalanceCredits, balanceCreditItem } from '../../functions/balance/credits.ts';
import { balanceOf, entries } from '../../functions/balance/ledger.ts';
import { PAYOUT_TIMEOUT_MS, reconcileWithdrawals } from '../../functions/balance/reconcile.ts';
import { type WithdrawalPorts, withdraw } from '../../functions/balance/withdraw.ts';
import { identityProvider } from '../../functions/identity/provider.ts';
import { startVerification } from '../../functions/identity/start.ts';
import { fixedClock } from '../../functions/lib/clock.ts';
import { resetConfig } from '../../functions/lib/config.ts';
import { ddb, resetDdb, tableName } from '../../functions/lib/dynamodb.ts';
import { newId } from '../../functions/lib/ids.ts';
import { resetSecrets } from '../../functions/lib/secrets.ts';
import { writeTransaction } from '../../functions/lib/transactions.ts';
import type { CardProcessor, PayoutOutcome, PayoutRequest } from '../../functions/payments/processor.ts';
import { requireStepUp } from '../../functions/twofa/gate.ts';
import { signStepUpToken } from '../../functions/twofa/tokens.ts';
import { createTables, tableEnv } from '../../infra/local/bootstrap-tables.ts';

const clock = fixedClock('2026-06-01T10:00:00.000Z');
const card = 'tok_01JNJ3Y7ZQ8M4N5P6Q7R8S9T0V';

beforeAll(async () => {
  const prefix = `wr${randomBytes(4).toString('hex')}-`;
  const endpoint = inject('dynamodbEndpoint');
  Object.assign(process.env, tableEnv(prefix), {
    DYNAMODB_ENDPOINT: endpoint,
    TESSERA_LOCAL: '1',
    TESSERA_DATA_DIR: mkdtempSync(join(tmpdir(), 'tessera-reconciler-')),
  });
  resetConfig();
  resetDdb();
  resetSecrets();
  await createTables(new DynamoDBClient({ endpoint, region: 'us-east-1' }), prefix);
});

/**
 * A processor that keeps its payout records (by key) like an acquirer. `lose`: `after` records the
 * outcome then throws (the answer was lost); `before` throws before the payout reaches it.
 */
function acquirer(options: { lose?: 'before' | 'after'; refuse?: boolean; lookupDown?: boolean } = {}) {
  const records = new Map<string, PayoutOutcome>();
  const sent: PayoutRequest[] = [];
  const processor = {
    payout: async (request: PayoutRequest) => {
      if (options.lose === 'before') throw new Error('injected: the payout never left');
      sent.push(request);
      const outcome: PayoutOutcome =
        records.get(request.idempotencyKey) ??
        (options.refuse
          ? { status: 'failed', code: 'card_declined', message: 'Refused.' }
          : { status: 'succeeded', payoutId: `po_${request.idempotencyKey}` });
      records.set(request.idempotencyKey, outcome);
      if (options.lose === 'after') throw new Error('injected: the answer was lost');
      return outcome;
    },
    payoutOutcome: async (key: string) => {
      if (options.lookupDown) throw new Error('injected: the processor is down');
      return records.get(key);
    },
  } as unknown as CardProcessor;
  return { processor, records, sent, options };
}

async function fundedCustomer(amount: number): Promise<string> {
  const customerId = newId('customer', clock.now());
  await startVerification(
    { customerId },
    { documentType: 'passport', documentNumber: 'X12345678', country: 'DE' },
    identityProvider(),
    async (items) => writeTransaction(items),
    clock,
  );
  const reference = newId('refund', clock.now());
  await writeTransaction([
    balanceCreditItem({ customerId, amount, currency: 'USD', reason: 'refund', reference }, clock.now()),
  ]);
  await applyBalanceCredits(customerId, clock);
  return customerId;
}

async function withdrawWith(customerId: string, amount: number, processor: CardProcessor) {
  const signed = await signStepUpToken(
    {
      customerId,
      action: 'withdrawal',
      challengeId: newId('challenge', clock.now()),
      amount: { amount, currency: 'USD' },
      payee: card,
    },
    clock.now(),
  );
  const ports: WithdrawalPorts = {
    getCard: async (_c, token) => ({ token, last4: '4242' }),
    requireStepUp: (input) => requireStepUp(input, clock),
    processor: () => processor,
  };
  return withdraw(
    { customerId },
    { amount, currency: 'USD', cardToken: card },
    { 'step-up-token': signed.token },
    ports,
    clock,
  );
}

async function withdrawalRecord(customerId: string, id: string) {
  const { Item } = await ddb().send(
    new GetCommand({
      TableName: tableName(),
      Key: { pk: `BALANCE#${customerId}`, sk: `WITHDRAWAL#${id}` },
      ConsistentRead: true,
    }),
  );
  return Item;
}

const ledgerOf = async (customerId: string) =>
  (await entries(customerId)).map((e) => [e.reason, e.amount, e.reference]);

describe('withdrawal reconciler (DynamoDB Local)', () => {
  it('the processor paid but its answer was lost: pending until the timeout, then paid; never paid twice', async () => {
    const customerId = await fundedCustomer(5_000);
    const lost = acquirer({ lose: 'after' });
    const withdrawal = await withdrawWith(customerId, 2_000, lost.processor);
    expect(withdrawal.status).toBe('pending');
    expect(await balanceOf(customerId, 'USD')).toBe(3_000);

    // Before the timeout the payout may still be on its way: left alone.
    expect(await reconcileWithdrawals(lost.processor, clock)).toEqual({ paid: 0, reversed: 0, left: 0 });
    clock.advance(PAYOUT_TIMEOUT_MS + 1_000);
    expect(await reconcileWithdrawals(lost.processor, clock)).toMatchObject({ paid: 1, reversed: 0 });
    const record = await withdrawalRecord(customerId, withdrawal.id);
    expect(record).toMatchObject({ status: 'paid' });
    expect(record?.gsi1pk).toBeUndefined();
    // Settled once: a second run finds nothing, the payout was sent once, the debit stands.
    expect(await reconcileWithdrawals(lost.processor, clock)).toEqual({ paid: 0, reversed: 0, left: 0 });
    expect(lost.sent).toHaveLength(1);
    expect(await balanceOf(customerId, 'USD')).toBe(3_000);
    expect(await ledgerOf(customerId)).toEqual([
      ['refund', 5_000, expect.any(String)],
      ['withdrawal', -2_000, withdrawal.id],
    ]);
  }, 120_000);

  it('the payout never reached the processor, or it refused: reversed with `failed` in one step, the balance as before', async () => {
    for (const options of [{ lose: 'before' as const }, { lose: 'after' as const, refuse: true }]) {
      const customerId = await fundedCustomer(5_000);
      const broken = acquirer(options);
      const withdrawal = await withdrawWith(customerId, 1_500, broken.processor);
      expect(withdrawal.status).toBe('pending');
      clock.advance(PAYOUT_TIMEOUT_MS + 1_000);
      // Two reconcilers at once: one reversal.
      const runs = await Promise.all([
        reconcileWithdrawals(broken.processor, clock),
        reconcileWithdrawals(broken.processor, clock),
      ]);
      expect(runs.reduce((sum, r) => sum + r.reversed, 0)).toBe(1);
      expect(await withdrawalRecord(customerId, withdrawal.id)).toMatchObject({
        status: 'failed',
        failureCode: options.refuse ? 'card_declined' : 'payout_not_received',
      });
      expect(await balanceOf(customerId, 'USD')).toBe(5_000);
      expect(await ledgerOf(customerId)).toEqual([
        ['refund', 5_000, expect.any(String)],
        ['withdrawal', -1_500, withdrawal.id],
        ['withdrawal_reversal', 1_500, withdrawal.id],
      ]);
    }
  }, 120_000);

  it('a processor that cannot answer leaves the withdrawal pending for the next run', async () => {
    const customerId = await fundedCustomer(5_000);
    const flaky = acquirer({ lose: 'after', lookupDown: true });
    const withdrawal = await withdrawWith(customerId, 1_000, flaky.processor);
    clock.advance(PAYOUT_TIMEOUT_MS + 1_000);
    expect(await reconcileWithdrawals(flaky.processor, clock)).toMatchObject({
      paid: 0,
      reversed: 0,
      left: 1,
    });
    expect(await withdrawalRecord(customerId, withdrawal.id)).toMatchObject({ status: 'pending' });
    flaky.options.lookupDown = false;
    expect(await reconcileWithdrawals(flaky.processor, clock)).toMatchObject({ paid: 1 });
    expect(await balanceOf(customerId, 'USD')).toBe(4_000);
  }, 120_000);
});
