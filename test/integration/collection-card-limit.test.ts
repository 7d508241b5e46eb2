import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runCollection } from '../../functions/collection/run.ts';
import { DAY_MS, fixedClock, isoDay, setClock } from '../../functions/lib/clock.ts';
import { resetConfig } from '../../functions/lib/config.ts';
import { resetDdb } from '../../functions/lib/dynamodb.ts';
import { CARD_ATTEMPT_LIMIT } from '../../functions/orders/dunning.ts';
import {
  type CardProcessor,
  type ChargeRequest,
  setCardProcessor,
} from '../../functions/payments/processor.ts';
import { createTables, tableEnv } from '../../infra/local/bootstrap-tables.ts';
import { registerLocalCollection } from '../../infra/local/collection.ts';
import { dueInstallments, seedInstallments } from '../support/collection-scale.ts';

// At most 15 charge attempts per card in 30 days (card-network retry rules): the 16th installment on
// one card waits, indexed on the day the oldest attempt leaves the window.
const AS_OF = '2026-07-01';
const clock = fixedClock(`${AS_OF}T10:00:00Z`);
const charges: ChargeRequest[] = [];
const stub: CardProcessor = {
  charge: async (request) => {
    charges.push(request);
    return { status: 'succeeded', chargeId: `ch_${charges.length}` };
  },
  refund: async () => ({ status: 'succeeded', refundId: 're_1' }),
  chargeOutcome: async () => undefined,
};
let admin: DynamoDBClient;
beforeAll(async () => {
  admin = new DynamoDBClient({ endpoint: inject('dynamodbEndpoint'), region: 'us-east-1' });
  const prefix = `l${randomBytes(4).toString('hex')}-`;
  Object.assign(process.env, tableEnv(prefix), { DYNAMODB_ENDPOINT: inject('dynamodbEndpoint') });
  resetConfig();
  resetDdb();
  await createTables(admin, prefix);
  registerLocalCollection();
  setCardProcessor(stub);
  // The chargers read the process clock, as in production.
  setClock(clock);
});
afterAll(() => {
  setClock(undefined);
  setCardProcessor(undefined);
  admin.destroy();
});

describe('the per-card attempt limit', { timeout: 120_000 }, () => {
  it('charges a card at most 15 times in 30 days; the 16th installment is parked, not charged', async () => {
    await seedInstallments(AS_OF, { due: CARD_ATTEMPT_LIMIT + 1, notDue: 0, cardToken: 'tok_shared' });
    const run = await runCollection(AS_OF, clock);
    expect(run).toMatchObject({
      due: 16,
      charged: 15,
      paid: 15,
      skipped: { reasons: { card_attempt_limit: 1 } },
    });
    expect(charges).toHaveLength(15);
    // Parked on the day after the oldest attempt leaves the 30-day window, still collectable then.
    const parkedDay = isoDay(new Date(Date.parse(`${AS_OF}T10:00:00Z`) + 31 * DAY_MS));
    const parked = await Promise.all(
      [-31, -1, 0, 1, 2].map(async (d) =>
        dueInstallments(isoDay(new Date(Date.parse(parkedDay) + d * DAY_MS))),
      ),
    );
    expect(parked, parkedDay).toEqual([0, 0, 1, 0, 0]);
    clock.advance(2 * 3_600_000);
    const again = await runCollection(AS_OF, clock);
    expect(again.charged).toBe(0);
  });
});
