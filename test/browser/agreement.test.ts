import type { Browser } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../support/app.ts';
import {
  browserSuite,
  expectAccessible,
  openCheckout,
  SHOP,
  shopperContext,
  shopperWithCard,
  signInOnPage,
} from './browser.ts';

// Issue 17: the hosted checkout asks the shopper's consent to the recurring agreement a merchant's
// session asks for; only a ticked box makes a customer token.
const suite = browserSuite();
let app: TestApp;
let browser: Browser;
let merchant: { id: string; apiKey: string };
beforeAll(() => {
  [app, browser, merchant] = [suite.app(), suite.browser(), suite.merchant()];
});

const AGREEMENT = { purpose: 'Coffee club, one bag a month', maxAmount: 5_000, cadence: 'monthly' };

async function customerTokenOf(sessionId: string): Promise<string | undefined> {
  const read = await app.call<{ customerToken?: string }>('GET', `/v1/checkout-sessions/${sessionId}`, {
    auth: merchant.apiKey,
  });
  expect(read.status, read.text).toBe(200);
  return read.json.customerToken;
}

describe('hosted checkout: recurring agreement consent', () => {
  it('states the terms, is unticked by default, makes a customer token only when ticked; the portal revokes it', async () => {
    const shopper = await shopperWithCard(app);
    const asked = await openCheckout(app, merchant.apiKey, { amount: 4_000, agreement: AGREEMENT });
    const context = await shopperContext(browser);
    const page = await context.newPage();
    await page.goto(asked.url);
    await signInOnPage(page, shopper);
    const consent = page.getByLabel(
      /Also allow .* to charge this card once a month, up to \$50\.00 per charge/,
    );
    expect(await consent.isChecked()).toBe(false);
    expect(await page.getByTestId('agreement').textContent()).toContain(AGREEMENT.purpose);
    await expectAccessible(page, 'checkout with agreement consent');
    await consent.check();
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.waitForURL(`${SHOP}/done?checkout_session_id=${asked.id}`);
    const token = await customerTokenOf(asked.id);
    expect(token).toMatch(/^ctok_/);
    const mine = await app.call<{ data: Array<{ id: string; status: string; maxAmount: number }> }>(
      'GET',
      '/v1/me/agreements',
      { auth: shopper.sessionToken },
    );
    expect(mine.json.data).toEqual([
      expect.objectContaining({ id: token, status: 'active', maxAmount: 5_000 }),
    ]);

    // The portal lists it; Revoke ends it at once (the merchant's token is refused from now on).
    await page.goto(`${new URL(app.url).origin}/account`);
    const row = page.getByTestId(`agreement-${token}`);
    expect(await row.textContent()).toContain('up to $50.00 per charge, monthly');
    await expectAccessible(page, 'portal with an agreement');
    await page.getByRole('button', { name: `Revoke ${AGREEMENT.purpose}` }).click();
    await page.getByRole('status').waitFor();
    expect(await page.getByTestId(`agreement-${token}`).textContent()).toContain('revoked');
    const read = await app.call<{ status: string }>('GET', `/v1/customer-tokens/${token}`, {
      auth: merchant.apiKey,
    });
    expect(read.json.status).toBe('revoked');

    // Not ticked: the purchase is approved, and no agreement is made.
    const declined = await openCheckout(app, merchant.apiKey, { amount: 4_000, agreement: AGREEMENT });
    await page.goto(declined.url);
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.waitForURL(`${SHOP}/done?checkout_session_id=${declined.id}`);
    expect(await customerTokenOf(declined.id)).toBeUndefined();
    // A session that asks for none shows no consent box.
    const plain = await openCheckout(app, merchant.apiKey, { amount: 4_000 });
    await page.goto(plain.url);
    expect(await page.getByTestId('agreement').count()).toBe(0);
    await context.close();
  });
});
