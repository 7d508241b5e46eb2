import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setClock } from '../../functions/lib/clock.ts';
import type { TestApp } from '../support/app.ts';
import { checkoutFixtures } from '../support/checkout.ts';
import { totpCode } from '../support/customers.ts';
import {
  addCardOverApi,
  browserSuite,
  codeOnPage,
  expectAccessible,
  shopperContext,
  shopperWithCard,
  signInOnPage,
} from './browser.ts';

const suite = browserSuite();
const fixtures = checkoutFixtures(() => app);
let app: TestApp;
let browser: Browser;
beforeAll(() => {
  [app, browser] = [suite.app(), suite.browser()];
});
afterAll(() => setClock(undefined));

describe('shopper portal (/account)', () => {
  it('shows the order schedule; changes its card, pays it off, deletes the freed card; turns on 2FA with recovery codes', async () => {
    const merchant = suite.merchant();
    const shopper = await shopperWithCard(app);
    const order = await fixtures.capturedOrder(merchant, shopper);
    // A second card to move the order to.
    const second = { json: { token: await addCardOverApi(app, shopper.sessionToken, '4012888888881881') } };

    const context = await shopperContext(browser);
    const page = await context.newPage();
    const base = new URL(app.url).origin;
    await page.goto(`${base}/account`);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Your Tessera account');
    await expectAccessible(page, 'portal, signed out');
    await signInOnPage(page, shopper);
    const section = page.getByTestId(`order-${order.id}`);
    expect(await section.locator('td[data-status]').count()).toBe(4);
    await expectAccessible(page, 'portal, signed in');

    await section.getByLabel('Pay this order with').selectOption(second.json.token);
    await section.getByRole('button', { name: 'Change card' }).click();
    await page.getByRole('status').filter({ hasText: 'The card was changed.' }).waitFor();
    expect(await page.getByTestId(`order-${order.id}`).textContent()).toContain('visa ending 1881');

    await page
      .getByTestId(`order-${order.id}`)
      .getByRole('button', { name: /Pay off/ })
      .click();
    await page.getByRole('status').filter({ hasText: 'Paid off' }).waitFor();
    const statuses = await page
      .getByTestId(`order-${order.id}`)
      .locator('td[data-status]')
      .evaluateAll((cells) => cells.map((c) => c.getAttribute('data-status')));
    expect(statuses).toEqual(['paid', 'paid', 'paid', 'paid']);

    await page.getByRole('button', { name: 'Delete visa ending 4242' }).click();
    await page.getByRole('status').filter({ hasText: 'The card was deleted.' }).waitFor();
    expect(await page.getByText('ending 4242').count()).toBe(0);

    // 2FA: a one-time code by email, the secret, a first TOTP code, then the recovery codes.
    await page.getByRole('button', { name: 'Turn on authenticator app' }).click();
    await expectAccessible(page, 'portal step-up');
    await page.getByLabel('Code', { exact: true }).fill(await codeOnPage(app, page));
    await page.getByRole('button', { name: 'Continue' }).click();
    const secret = (await page.getByTestId('totp-secret').textContent()) ?? '';
    await expectAccessible(page, 'portal TOTP setup');
    await page.getByLabel('Code from the app').fill(await totpCode(secret));
    await page.getByRole('button', { name: 'Turn on' }).click();
    const codes = await page.getByTestId('recovery-codes').locator('li').allTextContents();
    expect(codes).toHaveLength(10);
    await expectAccessible(page, 'portal recovery codes');

    // New recovery codes, approved with one of the old ones.
    await page.getByRole('link', { name: 'Back to your account' }).click();
    expect(await page.getByText('Authenticator app: on').count()).toBe(1);
    await page.getByRole('button', { name: 'New recovery codes' }).click();
    await page.getByLabel('Or a recovery code').fill(codes[0] ?? '');
    await page.getByRole('button', { name: 'Continue' }).click();
    const fresh = await page.getByTestId('recovery-codes').locator('li').allTextContents();
    expect(fresh).toHaveLength(10);
    expect(fresh).not.toContain(codes[1]);
    await context.close();
  });
});
