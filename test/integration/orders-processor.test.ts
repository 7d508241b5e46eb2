import { randomBytes } from 'node:crypto';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { fixedClock } from '../../functions/lib/clock.ts';
import { resetConfig } from '../../functions/lib/config.ts';
import { resetDdb } from '../../functions/lib/dynamodb.ts';
import { notFound } from '../../functions/lib/errors.ts';
import type { ChargeRequest } from '../../functions/payments/processor-port.ts';
import { type Detokenize, SandboxProcessor } from '../../functions/payments/sandbox.ts';
import { createTables, tableEnv } from '../../infra/local/bootstrap-tables.ts';

const clock = fixedClock('2026-04-01T10:00:00Z');
let prefix: string;
let admin: DynamoDBClient;
beforeAll(async () => {
  prefix = `p${randomBytes(4).toString('hex')}-`;
  const endpoint = inject('dynamodbEndpoint');
  Object.assign(process.env, tableEnv(prefix), { DYNAMODB_ENDPOINT: endpoint });
  resetConfig();
  resetDdb();
  admin = new DynamoDBClient({ endpoint, region: 'us-east-1' });
  await createTables(admin, prefix);
});

/** A stand-in vault: token -> card; records every PAN buffer it hands out, to check they are zeroed. */
function fakeVault(
  cards: Record<string, { pan: string; expMonth?: number; expYear?: number; customerId?: string }>,
) {
  const handedOut: Buffer[] = [];
  const calls: Array<{ token: string; actor: string; reason: string }> = [];
  const detokenize: Detokenize = async (token, purpose) => {
    calls.push({ token, ...purpose });
    const card = cards[token];
    if (!card) throw notFound('No such card.');
    const pan = Buffer.from(card.pan, 'ascii');
    handedOut.push(pan);
    return {
      pan,
      expMonth: card.expMonth ?? 12,
      expYear: card.expYear ?? 2030,
      brand: 'visa',
      customerId: card.customerId ?? 'cus_A',
    };
  };
  return { detokenize, handedOut, calls };
}

const charge = (cardToken: string, key: string, amount = 2_500): ChargeRequest => ({
  cardToken,
  customerId: 'cus_A',
  amount,
  currency: 'USD',
  idempotencyKey: key,
  reason: 'installment ins_x of ord_x',
});

describe('the sandbox CardProcessor', () => {
  const vault = fakeVault({
    tok_ok: { pan: '4242424242424242' },
    tok_declined: { pan: '4000000000000002' },
    tok_funds: { pan: '4000000000009995' },
    tok_lost: { pan: '4000000000009987' },
    tok_stolen: { pan: '4000000000009979' },
    tok_expired: { pan: '4242424242424242', expMonth: 3, expYear: 2026 },
    tok_other: { pan: '4242424242424242', customerId: 'cus_B' },
  });
  const processor = new SandboxProcessor(vault.detokenize, () => clock);

  it.each([
    ['tok_ok', 'succeeded', undefined, undefined],
    ['tok_declined', 'failed', 'card_declined', false],
    ['tok_funds', 'failed', 'insufficient_funds', false],
    ['tok_lost', 'failed', 'lost_card', true],
    ['tok_stolen', 'failed', 'stolen_card', true],
    ['tok_expired', 'failed', 'expired_card', true],
    ['tok_other', 'failed', 'card_unavailable', true],
    ['tok_deleted', 'failed', 'card_unavailable', true],
  ])('%s -> %s %s', async (token, status, code, hard) => {
    const result = await processor.charge(charge(token, `ins_${token}#1`));
    expect(result.status).toBe(status);
    if (result.status === 'failed') expect(result).toMatchObject({ code, hard });
    else expect(result.chargeId).toMatch(/^sandbox_ch_[0-9a-f]{24}$/);
  });

  it('zeroes every PAN it was given and audits each detokenization with actor and reason', () => {
    expect(vault.handedOut.length).toBeGreaterThan(0);
    for (const pan of vault.handedOut) expect(pan.every((byte) => byte === 0)).toBe(true);
    for (const call of vault.calls)
      expect(call).toMatchObject({ actor: 'system:charger', reason: expect.any(String) });
  });

  it('is idempotent by key: the same key returns the first outcome without charging again', async () => {
    const before = vault.calls.length;
    const first = await processor.charge(charge('tok_ok', 'ins_same#1'));
    const again = await processor.charge(charge('tok_ok', 'ins_same#1'));
    expect(again).toEqual(first);
    expect(vault.calls.length).toBe(before + 1);
    // Concurrent first attempts agree on one outcome.
    const racing = await Promise.all(
      Array.from({ length: 5 }, () => processor.charge(charge('tok_ok', 'ins_race#1'))),
    );
    for (const outcome of racing) expect(outcome).toEqual(racing[0]);
    // A new attempt number is a new charge.
    const second = await processor.charge(charge('tok_ok', 'ins_same#2'));
    expect(
      second.status === 'succeeded' && first.status === 'succeeded' && second.chargeId !== first.chargeId,
    ).toBe(true);
  });

  it('looks an outcome up by key without charging: the same outcome as the charge, none for an unknown key', async () => {
    const first = await processor.charge(charge('tok_funds', 'ins_lookup#1'));
    const before = vault.calls.length;
    expect(await processor.chargeOutcome('ins_lookup#1')).toEqual(first);
    expect(await processor.chargeOutcome('ins_lookup#2')).toBeUndefined();
    expect(vault.calls.length).toBe(before);
  });

  it('refuses a key reused with other parameters', async () => {
    await processor.charge(charge('tok_ok', 'ins_reuse#1', 100));
    await expect(processor.charge(charge('tok_ok', 'ins_reuse#1', 200))).rejects.toThrow(/reused/);
  });

  it('refunds are idempotent by key too', async () => {
    const first = await processor.refund({
      chargeId: 'sandbox_ch_x',
      amount: 100,
      currency: 'USD',
      idempotencyKey: 'ref_1#ins_1',
    });
    const again = await processor.refund({
      chargeId: 'sandbox_ch_x',
      amount: 100,
      currency: 'USD',
      idempotencyKey: 'ref_1#ins_1',
    });
    expect(first.status).toBe('succeeded');
    expect(again).toEqual(first);
  });

  it('stores no card number anywhere', async () => {
    const { Items } = await admin.send(new ScanCommand({ TableName: `${prefix}main` }));
    const dump = JSON.stringify(Items);
    for (const pan of ['4242424242424242', '4000000000000002', '4000000000009987'])
      expect(dump).not.toContain(pan);
  });
});
