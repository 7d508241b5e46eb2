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
  sessionTokenOf,
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
  it('shows the order schedule; changes its card, pays it off, deletes the freed card; turns 2FA on, renews its recovery codes, turns it off', async () => {
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
    await page.getByRole('heading', { level: 1, name: 'New recovery codes' }).waitFor();
    await expectAccessible(page, 'portal new recovery codes, code page');
    await page.getByLabel('Or a recovery code').fill(codes[0] ?? '');
    await page.getByRole('button', { name: 'Continue' }).click();
    const fresh = await page.getByTestId('recovery-codes').locator('li').allTextContents();
    expect(fresh).toHaveLength(10);
    expect(fresh).not.toContain(codes[1]);

    // Turning 2FA off, with a code from the authenticator app: the page and the API both say off.
    await page.getByRole('link', { name: 'Back to your account' }).click();
    await page.getByRole('button', { name: 'Turn off', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Turn off two-factor authentication' }).waitFor();
    await expectAccessible(page, 'portal turn off 2FA, code page');
    expect(await page.locator('#code-help').textContent()).toContain('authenticator app');
    await page.getByLabel('Code', { exact: true }).fill(await totpCode(secret));
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('status').filter({ hasText: 'Two-factor authentication is off.' }).waitFor();
    expect(await page.getByText('Authenticator app: off').count()).toBe(1);
    expect(await page.getByRole('button', { name: 'Turn on authenticator app' }).count()).toBe(1);
    const me = await app.call<{ twoFactorEnabled: boolean }>('GET', '/v1/me', {
      auth: await sessionTokenOf(context),
    });
    expect(me.status, me.text).toBe(200);
    expect(me.json.twoFactorEnabled).toBe(false);
    await context.close();
  });

  it('reports a charge as unauthorized (payments pause, the dispute shows) and talks to support over a masked channel', async () => {
    const merchant = suite.merchant();
    const shopper = await shopperWithCard(app);
    const order = await fixtures.capturedOrder(merchant, shopper);
    const context = await shopperContext(browser);
    const page = await context.newPage();
    const base = new URL(app.url).origin;
    await page.goto(`${base}/account`);
    await signInOnPage(page, shopper);
    // The sandbox outbox, signed in: the shopper's own messages (the codes sent at registration).
    await page.goto(`${base}/outbox`);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Sandbox outbox');
    expect(await page.locator('main li').count()).toBeGreaterThan(0);
    await expectAccessible(page, 'outbox, signed in');
    await page.goto(`${base}/account`);

    const section = page.getByTestId(`order-${order.id}`);
    await section.getByText('Report this charge as unauthorized').click();
    await section.getByLabel('What happened?').selectOption('card_lost_or_stolen');
    await section.getByRole('button', { name: 'Report' }).click();
    await page.getByRole('status').filter({ hasText: 'Payments on that order are paused' }).waitFor();
    const disputes = await app.call<{ data: Array<{ id: string; orderId: string; reason: string }> }>(
      'GET',
      '/v1/me/disputes',
      { auth: shopper.sessionToken },
    );
    expect(disputes.json.data).toEqual([
      expect.objectContaining({ orderId: order.id, reason: 'card_lost_or_stolen' }),
    ]);
    const filed = disputes.json.data[0]?.id ?? '';
    expect(await page.getByTestId(`dispute-${filed}`).textContent()).toContain(
      'payments on this order are paused',
    );
    // Reported once: the order offers no second report, and no payoff while its payments are paused.
    const disputed = page.getByTestId(`order-${order.id}`);
    expect(await disputed.getByText('Report this charge').count()).toBe(0);
    expect(await disputed.getByRole('button', { name: /Pay off/ }).count()).toBe(0);
    expect(await disputed.textContent()).toContain('its payments are paused');
    await expectAccessible(page, 'portal with a dispute');

    // Support: a card number typed into the message is masked before it is stored or shown.
    await page.getByRole('link', { name: 'Write to Tessera support' }).click();
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Support');
    await page.getByLabel('Subject').fill('Stolen card');
    await page.getByLabel('About an order (optional)').selectOption(order.id);
    await page.getByLabel('Message').fill('My card 4111 1111 1111 1111 was stolen yesterday.');
    await page.getByRole('button', { name: 'Send to support' }).click();
    await page.getByRole('status').filter({ hasText: 'Sent.' }).waitFor();
    const conversation = page.locator('[data-testid^="conversation-"]');
    const text = (await conversation.textContent()) ?? '';
    expect(text).toContain('Stolen card');
    expect(text).toContain('1111 was stolen yesterday');
    expect(text).not.toContain('4111 1111 1111 1111');
    await expectAccessible(page, 'support conversation');

    // An operator answers; the shopper reads it and replies.
    const id = ((await conversation.getAttribute('data-testid')) ?? '').replace('conversation-', '');
    const answered = await app.call('POST', `/v1/admin/support/conversations/${id}/messages`, {
      auth: app.operator,
      body: { message: 'We have paused the order and blocked the card.' },
    });
    expect(answered.status, answered.text).toBe(201);
    await page.reload();
    expect(await page.locator(`[data-testid="conversation-${id}"]`).textContent()).toContain(
      'Tessera support',
    );
    await page.getByLabel('Your reply').fill('Thank you!');
    await page.getByRole('button', { name: 'Send', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'Sent.' }).waitFor();
    expect(await page.locator(`[data-testid="conversation-${id}"] li`).count()).toBe(3);
    const html = await page.content();
    expect(html).not.toMatch(/4111\s?1111\s?1111\s?1111/);
    await context.close();
  });
});
