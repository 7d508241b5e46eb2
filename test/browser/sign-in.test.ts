import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setClock } from '../../functions/lib/clock.ts';
import type { TestApp } from '../support/app.ts';
import { totpCode } from '../support/customers.ts';
import {
  addCardOnPage,
  browserSuite,
  codeOnPage,
  expectAccessible,
  openCheckout,
  panWatch,
  registerOnPage,
  SHOP,
  sessionTokenOf,
  shopperContext,
  shopperWithTwoFactor,
  submitSignIn,
} from './browser.ts';

const suite = browserSuite();
let app: TestApp;
let browser: Browser;
let merchant: { id: string; apiKey: string };
beforeAll(() => {
  [app, browser, merchant] = [suite.app(), suite.browser(), suite.merchant()];
});
// totpCode may move the clock to a fresh TOTP step.
afterAll(() => setClock(undefined));

/** The API's refusal of a wrong code (twofa/errors.ts `code_invalid`), shown as the page's alert. */
const WRONG_CODE = 'The code is not valid. Check it and try again.';

const codeField = (page: Page) => page.getByLabel('Code', { exact: true });

/** Sends `code` on the sign-in code page; resolves with the answer's HTTP status (303: signed in). */
async function sendCode(page: Page, code: string): Promise<number | undefined> {
  await codeField(page).fill(code);
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && r.request().resourceType() === 'document'),
    page.getByRole('button', { name: 'Continue' }).click(),
  ]);
  return response.status();
}

/** A six-digit code that is not `code`. */
const other = (code: string) => (code === '000000' ? '111111' : '000000');

async function onCodePage(page: Page): Promise<void> {
  await page.getByRole('heading', { level: 1, name: 'Enter your code' }).waitFor();
}

/** A new browser at `url`, signed in with the password as `shopper` and on the code page. */
async function atCodePage(url: string, shopper: { email: string; password: string }) {
  const context = await shopperContext(browser);
  const page = await context.newPage();
  await page.goto(url);
  await submitSignIn(page, shopper);
  await onCodePage(page);
  return { context, page };
}

const portal = () => `${new URL(app.url).origin}/account`;

/** Refuses `wrong` with the API's message, stays on the code page and leaves the browser signed out. */
async function expectRefused(page: Page, wrong: string, label: string): Promise<void> {
  expect(await sendCode(page, wrong)).toBe(400);
  expect(await page.getByRole('alert').textContent()).toBe(WRONG_CODE);
  await onCodePage(page);
  await expect(sessionTokenOf(page.context())).rejects.toThrow('no session cookie');
  await expectAccessible(page, label);
}

describe('hosted checkout: sign-in with two-factor authentication', () => {
  it('signs in with the authenticator code after refusing a wrong one, then approves', async () => {
    const shopper = await shopperWithTwoFactor(app);
    const session = await openCheckout(app, merchant.apiKey);
    const { context, page } = await atCodePage(session.url, shopper);
    expect(await page.locator('#code-help').textContent()).toBe(
      'Enter the 6-digit code from your authenticator app.',
    );
    await expectAccessible(page, 'sign-in code (authenticator)');

    const code = await totpCode(shopper.totpSecret);
    await expectRefused(page, other(code), 'sign-in code refused');
    expect(await sendCode(page, code)).toBe(303);
    await page.getByText(`Signed in as ${shopper.email}`).waitFor();
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.waitForURL(`${SHOP}/done?checkout_session_id=${session.id}`);
    await context.close();
  });

  it('signs in with a code sent by email, when the shopper picks email over the authenticator', async () => {
    const shopper = await shopperWithTwoFactor(app);
    const session = await openCheckout(app, merchant.apiKey);
    const { context, page } = await atCodePage(session.url, shopper);
    // A verified email and no phone: email is the one other way offered.
    expect(await page.getByRole('button', { name: 'Text me a code' }).count()).toBe(0);
    await page.getByRole('button', { name: 'Email me a code' }).click();
    await page.getByText('We sent a 6-digit code to your email.').waitFor();
    await expectAccessible(page, 'sign-in code (email)');

    // As a person in the sandbox would: the hint's outbox link, in a new tab of this signed-out
    // browser, shows the code sent for this sign-in (and only that).
    const challengeId = await page.locator('input[name=challengeId]').first().inputValue();
    const [outbox] = await Promise.all([
      context.waitForEvent('page'),
      page.getByRole('link', { name: 'the outbox' }).click(),
    ]);
    await outbox.waitForLoadState();
    expect(new URL(outbox.url()).search).toBe(`?challenge=${challengeId}`);
    await expectAccessible(outbox, 'sandbox outbox of a sign-in');
    const codes = await outbox.locator('li strong').allTextContents();
    expect(codes).toHaveLength(1);
    const code = /\b(\d{6})\b/.exec(codes[0] ?? '')?.[1] ?? '';
    expect(code).toBe(await codeOnPage(app, page, shopper.sessionToken));
    expect(await sendCode(page, code)).toBe(303);
    await page.getByText(`Signed in as ${shopper.email}`).waitFor();
    // The sign-in is over: its codes are no longer shown, nor are any for a made-up challenge.
    expect((await outbox.reload())?.status()).toBe(404);
    expect((await outbox.goto(`${new URL(app.url).origin}/outbox?challenge=chl_nosuch`))?.status()).toBe(404);
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.waitForURL(`${SHOP}/done?checkout_session_id=${session.id}`);
    await context.close();
  });
});

describe('shopper portal: sign-in with two-factor authentication', () => {
  it('signs in with a code by text message, picked among the ways offered, after refusing a wrong one', async () => {
    const shopper = await shopperWithTwoFactor(app, { phone: '+14155550177' });
    const { context, page } = await atCodePage(portal(), shopper);
    // Three ways: the authenticator (the form), the verified phone and the verified email.
    expect(await page.locator('#code-help').textContent()).toContain('authenticator app');
    await page.getByRole('button', { name: 'Email me a code' }).waitFor();
    await page.getByRole('button', { name: 'Text me a code' }).click();
    await page.getByText('We sent a 6-digit code to your phone.').waitFor();
    await expectAccessible(page, 'sign-in code (SMS)');

    const challengeId = await page.locator('input[name=challengeId]').first().inputValue();
    const outbox = await app.call<{ data: Array<{ reference?: string; channel: string; to: string }> }>(
      'GET',
      '/v1/me/outbox',
      { auth: shopper.sessionToken },
    );
    expect(outbox.json.data.find((m) => m.reference === challengeId)).toMatchObject({
      channel: 'sms',
      to: '+14155550177',
    });
    const code = await codeOnPage(app, page, shopper.sessionToken);
    await expectRefused(page, other(code), 'sign-in code (SMS) refused');
    expect(await page.locator('#code-help').textContent()).toBe('We sent a 6-digit code to your phone.');
    await page.getByRole('button', { name: 'Text me a new code' }).waitFor();

    expect(await sendCode(page, code)).toBe(303);
    await page.getByText(`Signed in as ${shopper.email}`).waitFor();
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Your Tessera account');
    await context.close();
  });

  it('signs in with the authenticator code', async () => {
    const shopper = await shopperWithTwoFactor(app);
    const { context, page } = await atCodePage(portal(), shopper);
    expect(await sendCode(page, await totpCode(shopper.totpSecret))).toBe(303);
    await page.getByText(`Signed in as ${shopper.email}`).waitFor();
    const me = await app.call<{ email: string }>('GET', '/v1/me', { auth: await sessionTokenOf(context) });
    expect(me.json.email).toBe(shopper.email);
    await context.close();
  });
});

describe('shopper portal: add a card', () => {
  it('adds a card with the one-time code and lists it; the typed number is found nowhere outside the vault', async () => {
    const typed = '2223 0031 2200 3222';
    const hunt = panWatch(app);
    hunt.start();
    try {
      const context = await shopperContext(browser);
      const page = await context.newPage();
      hunt.watch(page);
      await page.goto(portal());
      await registerOnPage(app, page);
      expect(await page.getByText(/ending \d{4}/).count()).toBe(0);
      await addCardOnPage(app, page, typed);
      expect(page.url()).toMatch(/\/account\?card=tok_/);
      await page.getByText(/mastercard ending 3222/i).waitFor();
      await expectAccessible(page, 'portal with the new card');
      const cards = await app.call<{ data: Array<{ last4: string }> }>('GET', '/v1/me/cards', {
        auth: await sessionTokenOf(context),
      });
      expect(cards.json.data.map((c) => c.last4)).toEqual(['3222']);
      await context.close();
    } finally {
      hunt.stop();
    }
    await hunt.expectNowhere(typed);
  });
});
