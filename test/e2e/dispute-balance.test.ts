/**
 * A fraud-confirmed dispute on an order the customer balance helped pay (issue 11: the balance is
 * "credited by refunds of money already collected and by dispute outcomes"; docs/adr/0032): what
 * the card paid goes back to the card, what the balance paid comes back to the balance as the
 * dispute's own ledger entry (reason `dispute`, reference the dispute id), once however often the
 * resolution is sent. Over HTTP, against DynamoDB Local.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { balanceCreditItem } from '../../functions/balance/credits.ts';
import { DAY_MS, fixedClock, isoDay } from '../../functions/lib/clock.ts';
import { writeTransaction } from '../../functions/lib/transactions.ts';
import { setCardProcessor } from '../../functions/payments/processor.ts';
import { appWithClock } from '../support/app.ts';
import { checkoutFixtures, type Json } from '../support/checkout.ts';
import { signIn } from '../support/customers.ts';

const START = Date.parse('2026-09-07T10:00:00Z');
const clock = fixedClock(new Date(START));
const app = appWithClock(clock);
afterAll(() => setCardProcessor(undefined));
const { newMerchant, newShopper, capturedOrder, runCollection } = checkoutFixtures(app);

type Entry = { amount: number; reason: string; reference: string; balanceAfter: number };
type Order = Json & {
  status: string;
  outstandingAmount: number;
  installments: Array<{ id: string; status: string; paidFromBalance?: number }>;
  refunds: Array<{
    id: string;
    cardRefunds: Array<{ installmentId: string; amount: number; status: string }>;
  }>;
};
type Dispute = Json & {
  id: string;
  status: string;
  resolution?: { outcome: string; creditedAmount: number; cancelledAmount: number };
};

const day = (days: number) => {
  clock.set(new Date(START + days * DAY_MS));
  return isoDay(clock.now());
};

const resolve = (id: string) =>
  app().call<Dispute>('POST', `/v1/admin/disputes/${id}/resolve`, {
    auth: app().operator,
    body: { outcome: 'fraud_confirmed', note: 'Card reported stolen.' },
  });

describe('a dispute outcome credits the balance with its own entry', { timeout: 240_000 }, () => {
  it('fraud confirmed: the card part back to the card, the balance part as one `dispute` entry, once', async () => {
    const merchant = await newMerchant();
    const shopper = await newShopper();
    // Pay in 4 of USD 400.00: installment 1 by card at capture.
    const order = await capturedOrder(merchant, shopper, 40_000);
    const seeded = { customerId: shopper.customerId, currency: 'USD' as const, reason: 'refund' as const };
    await writeTransaction([
      balanceCreditItem({ ...seeded, amount: 15_000, reference: 're_seed_dispute_balance' }, clock.now()),
    ]);
    // Installment 2 from the balance in full (100.00), installment 3 half balance (50.00), half card.
    await runCollection(day(14));
    await runCollection(day(28));
    let got = await app().call<Order>('GET', `/v1/orders/${order.id}`, { auth: merchant.apiKey });
    expect(got.json.installments.map((i) => [i.status, i.paidFromBalance ?? 0])).toEqual([
      ['paid', 0],
      ['paid', 10_000],
      ['paid', 5_000],
      ['due', 0],
    ]);

    day(29);
    const session = await signIn(app(), shopper.email, shopper.password);
    const filed = await app().call<Dispute>('POST', '/v1/me/disputes', {
      auth: session,
      body: { orderId: order.id, reason: 'card_lost_or_stolen' },
    });
    expect(filed.status, filed.text).toBe(201);

    day(30);
    // Sent four times at once, then once more: one resolution, one credit. A request that lost the
    // race answers as a repeat does (200), or 409 while the winner's transaction is still in flight;
    // never 404 (it once did: the order was no longer on hold when the loser read it).
    const racing = await Promise.all([1, 2, 3, 4].map(() => resolve(filed.json.id)));
    const statuses = racing.map((r) => r.status).sort();
    expect(statuses[0]).toBe(200);
    for (const status of statuses) expect([200, 409]).toContain(status);
    const again = await resolve(filed.json.id);
    expect(again.status, again.text).toBe(200);
    expect(again.json).toMatchObject({
      status: 'lost',
      resolution: { outcome: 'fraud_confirmed', creditedAmount: 30_000, cancelledAmount: 10_000 },
    });

    // The card gets back only what the card paid (installment 1 in full, half of installment 3).
    got = await app().call<Order>('GET', `/v1/orders/${order.id}`, { auth: merchant.apiKey });
    expect(got.json).toMatchObject({ status: 'refunded', outstandingAmount: 0 });
    const [ins1, , ins3] = got.json.installments;
    expect(got.json.refunds.at(-1)?.cardRefunds.map((r) => [r.installmentId, r.amount, r.status])).toEqual([
      [ins1?.id, 10_000, 'succeeded'],
      [ins3?.id, 5_000, 'succeeded'],
    ]);

    // The balance: 150.00 credited, 150.00 paid installments, 150.00 back from the dispute, as a
    // `dispute` entry named by the dispute (no `refund` entry for it).
    const book = await app().call<{ balances: Array<{ amount: number }>; entries: Entry[] }>(
      'GET',
      '/v1/me/balance',
      { auth: await signIn(app(), shopper.email, shopper.password) },
    );
    expect(book.status, book.text).toBe(200);
    expect(book.json.entries.map((e) => [e.reason, e.amount, e.reference])).toEqual([
      ['refund', 15_000, 're_seed_dispute_balance'],
      ['installment', -10_000, `${got.json.installments[1]?.id}#1`],
      ['installment', -5_000, `${ins3?.id}#1`],
      ['dispute', 15_000, filed.json.id],
    ]);
    expect(book.json.balances).toEqual([{ amount: 15_000, currency: 'USD' }]);
    // Both legs: the customer and the platform's dispute account; the running balance agrees.
    expect(book.json.entries.at(-1)?.balanceAfter).toBe(15_000);

    // The same credit sent again (a retry that rebuilt the transaction) is refused by its key.
    const replayed = balanceCreditItem(
      { ...seeded, reason: 'dispute', amount: 15_000, reference: filed.json.id },
      clock.now(),
    );
    const tables = await app().scanAll();
    const inbox = (tables.main ?? []).filter((i) => i.type === 'balanceInbox');
    expect(inbox).toEqual([]); // posted: it left the inbox
    const refs = (tables.main ?? []).filter(
      (i) => i.type === 'ledgerRef' && i.sk === `REF#dispute#${filed.json.id}`,
    );
    expect(refs).toHaveLength(1);
    await writeTransaction([replayed]); // lands in the inbox (its first key was drained) ...
    const after = await app().call<{ balances: Array<{ amount: number }>; entries: Entry[] }>(
      'GET',
      '/v1/me/balance',
      { auth: await signIn(app(), shopper.email, shopper.password) },
    );
    // ... and the ledger's single-use reference keeps it from posting twice.
    expect(after.json.balances).toEqual([{ amount: 15_000, currency: 'USD' }]);
    expect(after.json.entries.filter((e) => e.reason === 'dispute')).toHaveLength(1);
    const audit = (tables.main ?? []).filter(
      (i) => i.type === 'audit' && i.action === 'dispute.resolved' && i.subject === filed.json.id,
    );
    expect(audit.map((i) => i.metadata)).toEqual([
      expect.objectContaining({ creditedAmount: 30_000, balanceCreditedAmount: 15_000 }),
    ]);
  });
});
