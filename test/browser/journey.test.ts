import type { Browser } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { clock } from '../../functions/lib/clock.ts';
import type { TestApp } from '../support/app.ts';
import { idempotencyKey } from '../support/checkout.ts';
import {
  addCardOnPage,
  browserSuite,
  expectAccessible,
  openCheckout,
  registerOnPage,
  SHOP,
  sessionTokenOf,
  shopperContext,
  shownIn,
  tableRows,
} from './browser.ts';

const suite = browserSuite();
let app: TestApp;
let browser: Browser;
let merchant: { id: string; apiKey: string };
beforeAll(() => {
  [app, browser, merchant] = [suite.app(), suite.browser(), suite.merchant()];
});

const merchantPost = (path: string, body: unknown) =>
  app.call<Record<string, unknown>>('POST', path, {
    auth: merchant.apiKey,
    headers: { 'Idempotency-Key': idempotencyKey() },
    body,
  });

describe('hosted checkout: the whole journey', () => {
  it('registers, adds a card, approves pay in 4, lands on the success URL; the merchant orders and captures; the portal shows the schedule', async () => {
    const session = await openCheckout(app, merchant.apiKey);
    const context = await shopperContext(browser);
    const page = await context.newPage();

    await page.goto(session.url);
    await page.getByRole('heading', { level: 1, name: 'Pay Acme Outdoor' }).waitFor();
    expect(await page.getByTestId('amount').textContent()).toBe('$400.00');
    await expectAccessible(page, 'checkout, signed out');

    await registerOnPage(app, page);
    await addCardOnPage(app, page);
    await expectAccessible(page, 'checkout, signed in');

    await page.getByLabel('Pay in 4', { exact: true }).check();
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.waitForURL(`${SHOP}/done?checkout_session_id=${session.id}`);

    // The merchant reads the approval and turns it into an order, then captures it.
    const read = await app.call<{ approval: { authorizationToken: string; plan: string } | null }>(
      'GET',
      `/v1/checkout-sessions/${session.id}`,
      { auth: merchant.apiKey },
    );
    expect(read.status, read.text).toBe(200);
    expect(read.json.approval?.plan).toBe('pay_in_4');
    const order = await merchantPost('/v1/orders', {
      authorizationToken: read.json.approval?.authorizationToken,
    });
    expect(order.status, order.text).toBe(201);
    const orderId = order.json.id as string;
    const capture = await merchantPost(`/v1/orders/${orderId}/captures`, { amount: 40_000 });
    expect(capture.status, capture.text).toBe(201);
    // The first installment is charged at capture, or by the collection run of the capture day.
    const mine = await app.call<{ installments: Array<{ status: string }> }>(
      'GET',
      `/v1/me/orders/${orderId}`,
      {
        auth: await sessionTokenOf(context),
      },
    );
    if (mine.json.installments[0]?.status !== 'paid') {
      const today = clock().now().toISOString().slice(0, 10);
      await app.call('POST', '/v1/admin/collections', { auth: app.operator, body: { asOf: today } });
    }

    await page.goto(session.url.replace(/\/pay\/.*$/, '/account'));
    const row = page.getByTestId(`order-${orderId}`);
    await row.waitFor();
    const statuses = await row
      .locator('td[data-status]')
      .evaluateAll((cells) => cells.map((c) => c.getAttribute('data-status')));
    expect(statuses).toEqual(['paid', 'due', 'due', 'due']);
    // Dates, amounts and the next payment as the API has the order, in the shopper's locale.
    const api = await app.call<{
      nextPayment: { amount: number; dueDate: string } | null;
      installments: Array<{ seq: number; dueDate: string; amount: number; status: string }>;
    }>('GET', `/v1/me/orders/${orderId}`, { auth: await sessionTokenOf(context) });
    expect(api.status, api.text).toBe(200);
    const us = shownIn('en-US', 'USD');
    expect(await tableRows(row.locator('table'))).toEqual(
      api.json.installments.map((i) => [String(i.seq), us.date(i.dueDate), us.money(i.amount), i.status]),
    );
    const next = api.json.nextPayment;
    expect(next).toMatchObject({ amount: 10_000, dueDate: api.json.installments[1]?.dueDate });
    expect(await row.getByText('Next payment:').textContent()).toBe(
      `Next payment: ${us.money(next?.amount ?? 0)} on ${us.date(next?.dueDate ?? '')}`,
    );
    await expectAccessible(page, 'portal');

    // The session is over now: its page says so plainly.
    await page.goto(session.url);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe(
      'This checkout is already complete',
    );
    await expectAccessible(page, 'checkout already complete');
    await context.close();
  });
});
