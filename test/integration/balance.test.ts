/**
 * The customer balance against DynamoDB Local: the ledger's conditional head under concurrency, and
 * the KYC and step-up gates of a withdrawal (issue 11).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { applyBalanceCredits, balanceCreditItem, payFromBalance } from '../../functions/balance/credits.ts';
import { balanceOf, entries } from '../../functions/balance/ledger.ts';
import { WITHDRAWAL_MAX_USD, withdrawalMax } from '../../functions/balance/policy.ts';
import { type WithdrawalPorts, withdraw } from '../../functions/balance/withdraw.ts';
import { identityProvider } from '../../functions/identity/provider.ts';
import { startVerification } from '../../functions/identity/start.ts';
import { fixedClock } from '../../functions/lib/clock.ts';
import { resetConfig } from '../../functions/lib/config.ts';
import { ddb, resetDdb, tableName } from '../../functions/lib/dynamodb.ts';
import { ApiError } from '../../functions/lib/errors.ts';
import { newId } from '../../functions/lib/ids.ts';
import { type CurrencyCode, fromUsd } from '../../functions/lib/money.ts';
import { resetSecrets } from '../../functions/lib/secrets.ts';
import { writeTransaction } from '../../functions/lib/transactions.ts';
import type { CardProcessor } from '../../functions/payments/processor.ts';
import { SandboxProcessor } from '../../functions/payments/sandbox.ts';
import { requireStepUp } from '../../functions/twofa/gate.ts';
import { signStepUpToken } from '../../functions/twofa/tokens.ts';
import { createTables, tableEnv } from '../../infra/local/bootstrap-tables.ts';

const clock = fixedClock('2026-05-01T10:00:00.000Z');
const payouts: string[] = [];
const processor = {
  payout: async (request) => {
    payouts.push(request.idempotencyKey);
    return { status: 'succeeded', payoutId: `po_${request.idempotencyKey}` };
  },
} as CardProcessor;
const card = 'tok_01JNJ3Y7ZQ8M4N5P6Q7R8S9T0V';
const ports: WithdrawalPorts = {
  getCard: async (_customer, token) => ({ token, last4: '4242' }),
  requireStepUp: (input) => requireStepUp(input, clock),
  processor: () => processor,
};

beforeAll(async () => {
  const prefix = `bl${randomBytes(4).toString('hex')}-`;
  const endpoint = inject('dynamodbEndpoint');
  Object.assign(process.env, tableEnv(prefix), {
    DYNAMODB_ENDPOINT: endpoint,
    TESSERA_LOCAL: '1',
    TESSERA_DATA_DIR: mkdtempSync(join(tmpdir(), 'tessera-balance-')),
  });
  resetConfig();
  resetDdb();
  resetSecrets();
  await createTables(new DynamoDBClient({ endpoint, region: 'us-east-1' }), prefix);
});

/** A customer whose identity the sandbox verified (document number not ending in 0000/1111). */
async function verifiedCustomer(documentNumber = 'X12345678'): Promise<string> {
  const customerId = newId('customer', clock.now());
  const commit = async (items: Parameters<typeof writeTransaction>[0]) => writeTransaction(items);
  const verification = await startVerification(
    { customerId },
    { documentType: 'passport', documentNumber, country: 'DE' },
    identityProvider(),
    commit,
    clock,
  );
  expect(verification.status).toBe(
    documentNumber.endsWith('0000') ? 'rejected' : documentNumber.endsWith('1111') ? 'in_review' : 'verified',
  );
  return customerId;
}

async function credit(
  customerId: string,
  amount: number,
  reference = newId('refund', clock.now()),
  currency: CurrencyCode = 'USD',
) {
  await writeTransaction([
    balanceCreditItem({ customerId, amount, currency, reason: 'refund', reference }, clock.now()),
  ]);
  await applyBalanceCredits(customerId, clock);
}

async function token(customerId: string, amount: number, payee = card, currency = 'USD') {
  const signed = await signStepUpToken(
    {
      customerId,
      action: 'withdrawal',
      challengeId: newId('challenge', clock.now()),
      amount: { amount, currency },
      payee,
    },
    clock.now(),
  );
  return { 'step-up-token': signed.token };
}

async function refusal(run: Promise<unknown>): Promise<{ status: number; code: string }> {
  try {
    await run;
  } catch (error) {
    if (error instanceof ApiError) return { status: error.status, code: error.code };
    throw error;
  }
  throw new Error('expected a refusal');
}

async function withdrawalRecords(customerId: string) {
  const { Items } = await ddb().send(
    new QueryCommand({
      TableName: tableName(),
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :w)',
      ExpressionAttributeValues: { ':pk': `BALANCE#${customerId}`, ':w': 'WITHDRAWAL#' },
      ConsistentRead: true,
    }),
  );
  return Items ?? [];
}

describe('customer balance ledger (DynamoDB Local)', () => {
  it('20 concurrent withdrawals that together exceed the balance never overdraw, and the ledger sums', async () => {
    const customerId = await verifiedCustomer();
    await credit(customerId, 10_000);
    const headers = await Promise.all(Array.from({ length: 20 }, () => token(customerId, 1_500)));
    const results = await Promise.allSettled(
      headers.map((h) =>
        withdraw({ customerId }, { amount: 1_500, currency: 'USD', cardToken: card }, h, ports, clock),
      ),
    );
    const paid = results.filter((r) => r.status === 'fulfilled').length;
    for (const r of results) {
      if (r.status === 'rejected') {
        expect(r.reason).toBeInstanceOf(ApiError);
        expect(['insufficient_balance', 'concurrent_update']).toContain((r.reason as ApiError).code);
      }
    }
    expect(paid).toBeGreaterThanOrEqual(1);
    expect(paid).toBeLessThanOrEqual(6); // 6 x 1,500 = 9,000 <= 10,000 < 7 x 1,500
    const ledger = await entries(customerId);
    const balance = await balanceOf(customerId, 'USD');
    expect(balance).toBe(10_000 - paid * 1_500);
    expect(ledger.reduce((sum, e) => sum + e.amount, 0)).toBe(balance);
    expect(ledger.every((e) => e.balanceAfter >= 0)).toBe(true);
    expect(ledger.every((e) => e.legs[0].amount + e.legs[1].amount === 0)).toBe(true);
    expect(ledger.map((e) => e.seq)).toEqual(ledger.map((_, i) => i + 1));
    expect(ledger.at(-1)?.balanceAfter).toBe(balance);
    expect(await withdrawalRecords(customerId)).toHaveLength(paid);
  }, 120_000);

  it('a credit is posted once per reference, however often it is applied', async () => {
    const customerId = await verifiedCustomer();
    const reference = newId('refund', clock.now());
    await credit(customerId, 700, reference);
    await credit(customerId, 700, reference); // sent twice: posted once
    await writeTransaction([
      balanceCreditItem(
        { customerId, amount: 700, currency: 'USD', reason: 'refund', reference },
        clock.now(),
      ),
    ]);
    await Promise.all([applyBalanceCredits(customerId, clock), applyBalanceCredits(customerId, clock)]);
    expect(await balanceOf(customerId, 'USD')).toBe(700);
    expect(await entries(customerId)).toHaveLength(1);
  }, 120_000);

  it('pays an installment from the balance once per reference, never beyond the balance', async () => {
    const customerId = await verifiedCustomer();
    await credit(customerId, 2_000);
    const debit = {
      customerId,
      amount: 1_500,
      currency: 'USD' as const,
      reference: 'ins_01JNJ3Y7ZQ8M4N5P6Q7R8S9T0V#1',
    };
    expect(await payFromBalance(debit, clock)).toBe('paid');
    expect(await payFromBalance(debit, clock)).toBe('already_paid');
    expect(await refusal(payFromBalance({ ...debit, reference: 'ins_other#1' }, clock))).toEqual({
      status: 422,
      code: 'insufficient_balance',
    });
    expect(await balanceOf(customerId, 'USD')).toBe(500);
    expect((await entries(customerId)).map((e) => [e.reason, e.amount])).toEqual([
      ['refund', 2_000],
      ['installment', -1_500],
    ]);
  }, 120_000);

  it('a payout the card refuses is reversed by a credit entry: 422 payout_failed, the balance as before', async () => {
    const customerId = await verifiedCustomer();
    await credit(customerId, 3_000);
    // The sandbox reads the card summary only (never the number): last 4 0002 is the declined test card.
    const declining = new SandboxProcessor(
      async () => {
        throw new Error('a payout must not detokenize');
      },
      () => clock,
      async () => ({ last4: '0002', expMonth: 12, expYear: 2030 }),
    );
    const sandboxPorts = { ...ports, processor: () => declining };
    const body = { amount: 1_000, currency: 'USD' as const, cardToken: card };
    expect(
      await refusal(withdraw({ customerId }, body, await token(customerId, 1_000), sandboxPorts, clock)),
    ).toEqual({
      status: 422,
      code: 'payout_failed',
    });
    expect(await balanceOf(customerId, 'USD')).toBe(3_000);
    expect((await entries(customerId)).map((e) => [e.reason, e.amount])).toEqual([
      ['refund', 3_000],
      ['withdrawal', -1_000],
      ['withdrawal_reversal', 1_000],
    ]);
    expect((await withdrawalRecords(customerId)).map((w) => w.status)).toEqual(['failed']);
  }, 120_000);

  it('refuses without KYC, in review, rejected, without or with a mismatched or reused step-up, above the balance; nothing moves', async () => {
    const body = { amount: 1_000, currency: 'USD' as const, cardToken: card };
    const unverified = newId('customer', clock.now());
    expect(
      await refusal(withdraw({ customerId: unverified }, body, await token(unverified, 1_000), ports, clock)),
    ).toEqual({ status: 403, code: 'identity_not_verified' });
    for (const number of ['Y00001111', 'Z00000000']) {
      const customerId = await verifiedCustomer(number);
      await credit(customerId, 5_000);
      expect(
        await refusal(withdraw({ customerId }, body, await token(customerId, 1_000), ports, clock)),
      ).toEqual({ status: 403, code: 'identity_not_verified' });
    }
    const customerId = await verifiedCustomer();
    await credit(customerId, 5_000);
    const cases: Array<[Record<string, string>, string]> = [
      [{}, 'step_up_required'],
      [await token(customerId, 999), 'step_up_invalid'],
      [await token(customerId, 1_000, 'tok_01JNJ3Y7ZQ8M4N5P6Q7R8S9T0W'), 'step_up_invalid'],
      [await token(customerId, 1_000, card, 'EUR'), 'step_up_invalid'],
    ];
    for (const [headers, code] of cases) {
      expect(await refusal(withdraw({ customerId }, body, headers, ports, clock))).toEqual({
        status: 403,
        code,
      });
    }
    const above = { ...body, amount: 5_001 };
    expect(
      await refusal(withdraw({ customerId }, above, await token(customerId, 5_001), ports, clock)),
    ).toEqual({ status: 422, code: 'insufficient_balance' });
    expect(await balanceOf(customerId, 'USD')).toBe(5_000);
    expect(await withdrawalRecords(customerId)).toHaveLength(0);

    const once = await token(customerId, 1_000);
    await withdraw({ customerId }, body, once, ports, clock);
    expect(await refusal(withdraw({ customerId }, body, once, ports, clock))).toEqual({
      status: 403,
      code: 'step_up_invalid',
    });
    expect(await balanceOf(customerId, 'USD')).toBe(4_000);
    expect(await withdrawalRecords(customerId)).toHaveLength(1);
  }, 120_000);

  it('one withdrawal moves at most USD 5,000 scaled to its currency (exponents 0, 2, 3): one minor unit more is 422 amount_too_large, nothing written', async () => {
    const maxima: Array<[CurrencyCode, number]> = [];
    for (const currency of ['JPY', 'USD', 'KWD'] as const) {
      const max = withdrawalMax(currency);
      maxima.push([currency, max]);
      expect(max).toBe(fromUsd(WITHDRAWAL_MAX_USD, currency));
      const customerId = await verifiedCustomer();
      await credit(customerId, max + 1, newId('refund', clock.now()), currency);
      const above = { amount: max + 1, currency, cardToken: card };
      expect(
        await refusal(
          withdraw({ customerId }, above, await token(customerId, max + 1, card, currency), ports, clock),
        ),
      ).toEqual({ status: 422, code: 'amount_too_large' });
      expect(await balanceOf(customerId, currency)).toBe(max + 1);
      expect(await withdrawalRecords(customerId)).toHaveLength(0);
      const at = { amount: max, currency, cardToken: card };
      await withdraw({ customerId }, at, await token(customerId, max, card, currency), ports, clock);
      expect(await balanceOf(customerId, currency)).toBe(1);
    }
    // The same money, not the same number: JPY has no minor unit, KWD three decimals.
    expect(new Set(maxima.map(([, max]) => max)).size).toBe(3);
  }, 120_000);
});
