/**
 * Subscription and customer-token steps for e2e tests, over real HTTP: a checkout session that asks
 * for an agreement, the shopper's approval of it, the merchant's customer token, subscriptions, and
 * what the table holds about them (orders per subscription, processor charges, events).
 */
import { expect } from 'vitest';
import type { TestApp } from './app.ts';
import { checkoutFixtures, type Json } from './checkout.ts';

export const MONTHLY_AGREEMENT = {
  purpose: 'Coffee club, one bag a month',
  maxAmount: 5_000,
  cadence: 'monthly',
};

export type Subscription = Json & {
  id: string;
  status: string;
  nextBillingDate: string | null;
  periodsBilled: number;
  latestOrderId?: string;
  cancelReason?: string;
};

export function subscriptionFixtures(app: () => TestApp, clock: { set(at: Date | string): void }) {
  const checkout = checkoutFixtures(app);

  /** Moves the app's clock to `day` 10:00 UTC and runs collection for it; the run's counts. */
  async function collectOn<T = Json>(day: string): Promise<T> {
    clock.set(new Date(`${day}T10:00:00Z`));
    return checkout.runCollection<T>(day);
  }

  /** The shopper approves an agreement on a session that asks for it; the merchant's customer token. */
  async function customerToken(
    merchant: { apiKey: string },
    shopper: { sessionToken: string; cardToken: string },
    terms: Json = MONTHLY_AGREEMENT,
  ): Promise<string> {
    const session = await checkout.openSession(merchant.apiKey, 4_000, {
      plans: ['pay_in_30'],
      agreement: terms,
    });
    const approved = await app().call<{ id: string; status: string }>(
      'POST',
      `/v1/checkout-sessions/${session.id}/agreement`,
      {
        auth: shopper.sessionToken,
        body: { clientToken: session.clientToken, cardToken: shopper.cardToken },
      },
    );
    expect(approved.status, approved.text).toBe(201);
    expect(approved.json).toMatchObject({ status: 'active', object: 'customer_token' });
    const read = await app().call<{ customerToken?: string }>('GET', `/v1/checkout-sessions/${session.id}`, {
      auth: merchant.apiKey,
    });
    expect(read.json.customerToken).toBe(approved.json.id);
    return approved.json.id;
  }

  async function subscribe(apiKey: string, body: Json): Promise<Subscription> {
    const res = await checkout.merchantPost<Subscription>(apiKey, '/v1/subscriptions', body);
    expect(res.status, res.text).toBe(201);
    return res.json;
  }

  async function subscription(apiKey: string, id: string): Promise<Subscription> {
    const res = await app().call<Subscription>('GET', `/v1/subscriptions/${id}`, { auth: apiKey });
    expect(res.status, res.text).toBe(200);
    return res.json;
  }

  /** The period orders of a subscription (oldest first), with their installments' charges at the processor. */
  async function periods(subscriptionId: string) {
    const { main = [] } = await app().scanAll();
    const orders = main
      .filter((item) => item.type === 'order' && item.subscriptionId === subscriptionId)
      .sort((a, b) => String(a.id).localeCompare(String(b.id)));
    return orders.map((order) => {
      const installments = main.filter((item) => item.type === 'installment' && item.orderId === order.id);
      const charges = installments.flatMap((i) =>
        main.filter((item) => String(item.pk).startsWith(`SANDBOX#CHARGE#${String(i.id)}#`)),
      );
      return {
        id: String(order.id),
        day: String(order.createdAt).slice(0, 10),
        amount: Number(order.amount),
        status: String(order.status),
        cardLast4: String(order.cardLast4),
        charges: charges.length,
      };
    });
  }

  /** Item counts by type: the proof that a refusal wrote nothing. */
  async function counts(...types: string[]): Promise<Record<string, number>> {
    const { main = [] } = await app().scanAll();
    return Object.fromEntries(types.map((t) => [t, main.filter((item) => item.type === t).length]));
  }

  return { ...checkout, collectOn, customerToken, subscribe, subscription, periods, counts };
}
