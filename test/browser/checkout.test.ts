import type { Browser } from 'playwright-core';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { offsetClock, setClock } from '../../functions/lib/clock.ts';
import type { HttpEvent } from '../../functions/lib/http.ts';
import { pageHandler } from '../../functions/pages/run.ts';
import type { TestApp } from '../support/app.ts';
import {
  browserSuite,
  codeOnPage,
  expectAccessible,
  openCheckout,
  PASSWORD,
  SHOP,
  shopperContext,
  shopperWithCard,
  shownIn,
  signInOnPage,
  submitCardOnPage,
  tableRows,
} from './browser.ts';

const suite = browserSuite();
let app: TestApp;
let browser: Browser;
let merchant: { id: string; apiKey: string };
beforeAll(() => {
  [app, browser, merchant] = [suite.app(), suite.browser(), suite.merchant()];
});
afterEach(() => setClock(undefined));

describe('hosted checkout', () => {
  it('shows a monthly plan with the same APR and totals as the API, in the shopper locale', async () => {
    const shopper = await shopperWithCard(app);
    const session = await openCheckout(app, merchant.apiKey, { amount: 40_000 });
    // The API's own disclosure for the same amount and term: approve a twin session over the API.
    const twin = await app.call<{ clientToken: string; id: string }>('POST', '/v1/checkout-sessions', {
      auth: merchant.apiKey,
      headers: { 'Idempotency-Key': `idem_twin_${session.id.slice(-10).toLowerCase().replace(/\d/g, 'x')}` },
      body: { amount: 40_000, currency: 'USD', merchantReference: 'twin' },
    });
    const api = await app.call<{ schedulePreview: { disclosure: Record<string, number> } }>(
      'POST',
      `/v1/checkout-sessions/${twin.json.id}/authorize`,
      {
        auth: shopper.sessionToken,
        body: {
          clientToken: twin.json.clientToken,
          plan: 'monthly',
          termMonths: 6,
          cardToken: shopper.cardToken,
        },
      },
    );
    expect(api.status, api.text).toBe(200);
    const d = api.json.schedulePreview.disclosure;

    const context = await shopperContext(browser);
    const page = await context.newPage();
    await page.goto(session.url);
    await signInOnPage(page, shopper);
    const box = page.getByTestId('disclosure-monthly:6');
    const usd = (minor: number | undefined) => `$${((minor ?? 0) / 100).toFixed(2)}`;
    expect(await box.locator('[data-field=apr]').textContent()).toBe(`${d.apr?.toFixed(2)}%`);
    expect(await box.locator('[data-field=financeCharge]').textContent()).toBe(usd(d.financeCharge));
    expect(await box.locator('[data-field=amountFinanced]').textContent()).toBe(usd(d.amountFinanced));
    expect(await box.locator('[data-field=totalOfPayments]').textContent()).toBe(usd(d.totalOfPayments));
    await context.close();

    // KWD has three decimals and JPY none, in the shopper's own locale.
    const kwd = await openCheckout(app, merchant.apiKey, { amount: 123_456, currency: 'KWD' });
    const jpy = await openCheckout(app, merchant.apiKey, { amount: 60_000, currency: 'JPY' });
    const german = await shopperContext(browser, { locale: 'de-DE' });
    const de = await german.newPage();
    await de.goto(kwd.url);
    expect(await de.getByTestId('amount').textContent()).toBe(
      new Intl.NumberFormat('de-DE', { style: 'currency', currency: 'KWD' }).format(123.456),
    );
    expect(await de.locator('html').getAttribute('lang')).toBe('de-DE');
    await de.goto(jpy.url);
    expect(await de.getByTestId('amount').textContent()).toBe(
      new Intl.NumberFormat('de-DE', { style: 'currency', currency: 'JPY' }).format(60_000),
    );
    await german.close();
  });

  it('shows each offer with its full schedule: dates and amounts as the API schedules that session, in the shopper locale', async () => {
    const shopper = await shopperWithCard(app);
    const session = await openCheckout(app, merchant.apiKey, { amount: 40_000 });
    const context = await shopperContext(browser, { locale: 'de-DE' });
    const page = await context.newPage();
    await page.goto(session.url);
    await signInOnPage(page, shopper);
    const table = page.locator('table', {
      has: page.locator('caption', { hasText: 'Payments for Monthly, 6 months' }),
    });
    const shown = await tableRows(table);

    // The API's schedule preview of the same session and offer (approving it over the API).
    const clientToken = new URL(session.url).pathname.split('/').pop() ?? '';
    const api = await app.call<{
      schedulePreview: {
        installments: Array<{ seq: number; dueDate: string; amount: number; interest: number }>;
      };
    }>('POST', `/v1/checkout-sessions/${session.id}/authorize`, {
      auth: shopper.sessionToken,
      body: { clientToken, plan: 'monthly', termMonths: 6, cardToken: shopper.cardToken },
    });
    expect(api.status, api.text).toBe(200);
    const rows = api.json.schedulePreview.installments;
    expect(rows).toHaveLength(6);
    expect(rows.some((r) => r.interest > 0)).toBe(true);
    const de = shownIn('de-DE', 'USD');
    expect(shown).toEqual(
      rows.map((r) => [String(r.seq), de.date(r.dueDate), de.money(r.amount), de.money(r.interest)]),
    );
    // The offer's summary line agrees with the first row.
    const first = rows[0];
    expect(await page.locator('.offer', { has: table }).locator('p.muted').first().textContent()).toBe(
      `6 payments, first ${de.money(first?.amount ?? 0)} on ${de.date(first?.dueDate ?? '')}`,
    );
    await context.close();
  });

  it('asks for a step-up above the threshold, refuses a wrong code, then approves with the right one', async () => {
    const shopper = await shopperWithCard(app);
    const session = await openCheckout(app, merchant.apiKey, { amount: 60_000 });
    const context = await shopperContext(browser);
    const page = await context.newPage();
    await page.goto(session.url);
    await signInOnPage(page, shopper);
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.getByRole('heading', { level: 1, name: 'Confirm it is you' }).waitFor();
    await expectAccessible(page, 'step-up');
    const code = await codeOnPage(app, page);
    const wrong = code === '000000' ? '111111' : '000000';
    await page.getByLabel('Code').fill(wrong);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('alert').waitFor();
    expect(page.url()).not.toContain(SHOP);
    await expectAccessible(page, 'step-up, wrong code');
    await page.getByLabel('Code').fill(code);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('heading', { level: 1, name: 'Confirm your approval' }).waitFor();
    await expectAccessible(page, 'confirm approval');
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.waitForURL(`${SHOP}/done?checkout_session_id=${session.id}`);
    const read = await app.call<{ approval: { plan: string } | null }>(
      'GET',
      `/v1/checkout-sessions/${session.id}`,
      {
        auth: merchant.apiKey,
      },
    );
    expect(read.json.approval?.plan).toBe('pay_in_4');
    await context.close();
  });

  it('says plainly that an expired session has expired, with the way back to the shop; cancel goes to cancelUrl', async () => {
    const session = await openCheckout(app, merchant.apiKey);
    const context = await shopperContext(browser);
    const page = await context.newPage();
    await page.goto(session.url);
    await page.getByRole('link', { name: 'Cancel and return to the shop' }).click();
    await page.waitForURL(`${SHOP}/cart`);

    setClock(offsetClock(49 * 3_600_000));
    const response = await page.goto(session.url);
    expect(response?.status()).toBe(410);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('This checkout has expired');
    expect(await page.getByRole('link', { name: 'Return to the shop' }).getAttribute('href')).toBe(
      `${SHOP}/cart`,
    );
    await expectAccessible(page, 'expired');
    await context.close();
  });

  it('says the other outcomes plainly, and every such page passes axe: not found, a refused form, approved without a successUrl, a refused card, an error', async () => {
    const base = new URL(app.url).origin;
    const context = await shopperContext(browser);
    const page = await context.newPage();

    const missing = await page.goto(`${base}/pay/cs_01M8PTYX15RSGVSNZV889403W7_secret_${'x'.repeat(32)}`);
    expect(missing?.status()).toBe(404);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Checkout not found');
    await expectAccessible(page, 'checkout not found');

    // A form whose CSRF token is not this page's (as a stale or forged form would carry).
    const shopper = await shopperWithCard(app);
    const session = await openCheckout(app, merchant.apiKey, { amount: 20_000, successUrl: undefined });
    await page.goto(session.url);
    await page.locator('#si-email').fill(shopper.email);
    await page.locator('#si-password').fill(PASSWORD);
    await page
      .locator('form:has(#si-email) input[name=csrf]')
      .evaluate((input) => input.setAttribute('value', 'forged-csrf-token'));
    const [refused] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST'),
      page.getByRole('button', { name: 'Sign in' }).click(),
    ]);
    expect(refused.status()).toBe(403);
    await page.getByRole('heading', { level: 1, name: 'Please try again' }).waitFor();
    await expectAccessible(page, 'csrf refused');

    // A card the vault refuses: the form again, with the reason and without the number typed.
    await page.goto(session.url);
    await signInOnPage(page, shopper);
    await submitCardOnPage(app, page, '4242 4242 4242 4241');
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Add a card');
    expect(await page.getByLabel('Card number').inputValue()).toBe('');
    await expectAccessible(page, 'card form with an error');

    // A session without successUrl: the approval ends on Tessera's own "Approved" page.
    await page.goto(session.url);
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.getByRole('heading', { level: 1, name: 'Approved' }).waitFor();
    const read = await app.call<{ approval: { plan: string } | null }>(
      'GET',
      `/v1/checkout-sessions/${session.id}`,
      {
        auth: merchant.apiKey,
      },
    );
    expect(read.json.approval?.plan).toBe('pay_in_4');
    await expectAccessible(page, 'approved');

    // The page wrapper's error page: no route fails on purpose, so a use case that throws stands in,
    // and the browser shows that response (headers and all) at an address of this origin.
    const failing = pageHandler(async () => {
      throw new Error('boom');
    });
    const answer = await failing({
      httpMethod: 'GET',
      resource: '/failing',
      path: '/failing',
      headers: { host: new URL(base).host, 'accept-language': 'en-US' },
      requestContext: {},
    } as unknown as HttpEvent);
    expect(answer.statusCode).toBe(500);
    await context.route(`${base}/failing`, (route) =>
      route.fulfill({
        status: answer.statusCode,
        headers: answer.headers as Record<string, string>,
        body: answer.body,
      }),
    );
    await page.goto(`${base}/failing`);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Something went wrong');
    await expectAccessible(page, 'error page');
    await context.close();
  });
});
