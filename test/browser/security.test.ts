/// <reference lib="dom" />
import type { Browser, Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { pageRoutes } from '../../infra/routes/pages.ts';
import type { TestApp } from '../support/app.ts';
import { checkoutFixtures } from '../support/checkout.ts';
import { stepUp } from '../support/customers.ts';
import {
  browserSuite,
  codeOnPage,
  expectAccessible,
  newEmail,
  openCheckout,
  PASSWORD,
  panWatch,
  SHOP,
  shopperContext,
  shopperWithCard,
  signInOnPage,
} from './browser.ts';

const suite = browserSuite();
let app: TestApp;
let browser: Browser;
let merchant: { id: string; apiKey: string };
beforeAll(() => {
  [app, browser, merchant] = [suite.app(), suite.browser(), suite.merchant()];
});

/** Presses Tab until the focused element matches `selector` (keyboard only: no click anywhere). */
async function tabTo(page: Page, selector: string): Promise<void> {
  for (let i = 0; i < 80; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) return;
  }
  throw new Error(`Tab never reached ${selector}`);
}

async function typeInto(page: Page, selector: string, text: string): Promise<void> {
  await tabTo(page, selector);
  await page.keyboard.type(text);
}

/** No horizontal scrolling at this width. */
const fitsWidth = (page: Page) =>
  page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth);

describe('hosted checkout: keyboard, small screens and the card number', () => {
  it('goes through the whole checkout with the keyboard only at 375 px, and the typed card number is found nowhere outside the vault', async () => {
    const hunt = panWatch(app);
    hunt.start();
    try {
      const session = await openCheckout(app, merchant.apiKey);
      const context = await shopperContext(browser, { viewport: { width: 375, height: 812 } });
      const page = await context.newPage();
      hunt.watch(page);
      await page.goto(session.url);
      expect(await fitsWidth(page)).toBe(true);

      const email = newEmail();
      await typeInto(page, '#rg-email', email);
      await typeInto(page, '#rg-password', PASSWORD);
      await page.keyboard.press('Enter');
      // A new account proves its email with the code sent to it before it gets step-up codes.
      await page.getByText('Confirm your email').first().waitFor();
      await typeInto(page, '#code', await codeOnPage(app, page));
      await page.keyboard.press('Enter');
      await page.getByText(`Signed in as ${email}`).waitFor();
      expect(await fitsWidth(page)).toBe(true);

      await tabTo(page, '#add-card');
      await page.keyboard.press('Enter');
      await typeInto(page, '#code', await codeOnPage(app, page));
      await page.keyboard.press('Enter');
      await page.waitForSelector('#number');
      expect(await fitsWidth(page)).toBe(true);
      await expectAccessible(page, 'add a card');
      await typeInto(page, '#number', '5555 5555 5555 4444');
      await typeInto(page, '#exp-month', '12');
      await typeInto(page, '#exp-year', '2030');
      await typeInto(page, '#cvc', '123');
      await page.keyboard.press('Enter');
      await page.getByText(/ending 4444/).waitFor();

      // The first plan is chosen; the arrow key moves to "Pay in 30 days".
      await tabTo(page, 'input[name=plan]:checked');
      await page.keyboard.press('ArrowDown');
      expect(await page.evaluate(() => (document.activeElement as HTMLInputElement).value)).toBe('pay_in_30');
      await tabTo(page, '#approve');
      await page.keyboard.press('Enter');
      await page.waitForURL(`${SHOP}/done?checkout_session_id=${session.id}`);
      await context.close();

      const read = await app.call<{ approval: { plan: string } | null }>(
        'GET',
        `/v1/checkout-sessions/${session.id}`,
        {
          auth: merchant.apiKey,
        },
      );
      expect(read.json.approval?.plan).toBe('pay_in_30');
    } finally {
      hunt.stop();
    }
    await hunt.expectNowhere('5555 5555 5555 4444');
  });
});

describe('web security', () => {
  /** A page's CSRF cookie and form token, as a browser of this origin would hold them. */
  async function formTokens(url: string) {
    const res = await fetch(url);
    const cookie =
      (res.headers.getSetCookie().find((c) => c.startsWith('tsr_csrf=')) ?? '').split(';')[0] ?? '';
    const csrf = /name="csrf" value="([^"]+)"/.exec(await res.text())?.[1] ?? '';
    return { cookie, csrf };
  }

  const post = (
    url: string,
    cookie: string,
    fields: Record<string, string>,
    headers: Record<string, string> = {},
  ) =>
    fetch(url, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: cookie, ...headers },
      body: new URLSearchParams(fields).toString(),
    });

  it('refuses a forged CSRF token, a missing cookie and another origin; accepts its own form', async () => {
    const session = await openCheckout(app, merchant.apiKey);
    const { cookie, csrf } = await formTokens(session.url);
    expect(cookie).toMatch(/^tsr_csrf=/);
    const signIn = { do: 'sign-in', email: 'nobody@example.com', password: 'not-the-password-1' };
    const forged = await post(session.url, cookie, { ...signIn, csrf: `${csrf.slice(0, -2)}xx` });
    expect(forged.status).toBe(403);
    expect(await forged.text()).toContain('not sent from this page');
    expect((await post(session.url, '', { ...signIn, csrf })).status).toBe(403);
    const origin = new URL(session.url).origin;
    expect(
      (await post(session.url, cookie, { ...signIn, csrf }, { Origin: 'https://evil.example' })).status,
    ).toBe(403);
    // The genuine form gets through the CSRF check to sign-in itself (which refuses the password).
    const genuine = await post(session.url, cookie, { ...signIn, csrf }, { Origin: origin });
    expect(genuine.status).toBe(400);
    expect(await genuine.text()).toContain('role="alert"');
  });

  it('refuses a forged or a missing CSRF token on every POST page route, and writes nothing', async () => {
    // A signed-in shopper with a card, an order, an open session: each form below is one the route
    // would act on (and write for) with this origin's own token.
    const shopper = await shopperWithCard(app);
    const order = await checkoutFixtures(() => app).capturedOrder(merchant, shopper);
    const session = await openCheckout(app, merchant.apiKey);
    const token = new URL(session.url).pathname.split('/').pop() ?? '';
    const origin = new URL(session.url).origin;
    const { cookie, csrf } = await formTokens(session.url);
    const jar = `${cookie}; tsr_session=${shopper.sessionToken}`;
    const cardFields = { number: '4242424242424242', expMonth: '12', expYear: '2030', cvc: '123' };
    const stepUpToken = await stepUp(app, shopper.sessionToken, 'add_card');
    const forms: Record<string, Record<string, string>> = {
      checkoutApprove: { plan: 'pay_in_4', card: shopper.cardToken },
      checkoutCard: { ...cardFields, stepUpToken },
      accountCard: { do: 'delete-card', card: shopper.cardToken },
      accountPayoff: { order: order.id, key: 'idem_csrf_payoff_key_1' },
      supportAction: { do: 'open', subject: 'Hello', message: 'Forged' },
    };
    // Every POST page route of the route table (a new one is covered as it is added); sign-out by default.
    const posts = pageRoutes.filter((route) => route.method === 'POST');
    expect(posts.length).toBeGreaterThanOrEqual(7);
    const before = await app.scanAll();
    for (const route of posts) {
      const url = `${origin}${route.path.replace('{token}', token)}`;
      expect(url, `${route.operationId}: a path parameter this test does not fill`).not.toContain('{');
      const fields = forms[route.operationId] ?? { do: 'sign-out' };
      for (const [how, extra] of [
        ['forged', { csrf: `${csrf.slice(0, -2)}${csrf.endsWith('xx') ? 'yy' : 'xx'}` }],
        ['missing', {}],
      ] as const) {
        const res = await post(url, jar, { ...fields, ...extra }, { Origin: origin });
        expect(res.status, `${route.operationId}, ${how} token`).toBe(403);
        expect(await res.text()).toContain('not sent from this page');
      }
    }
    expect(await app.scanAll()).toEqual(before);
    // The same cookies with the genuine token are acted on: the refusals above were the CSRF check's.
    const signOut = await post(`${origin}/account`, jar, { do: 'sign-out', csrf }, { Origin: origin });
    expect(signOut.status).toBe(303);
    expect((await app.call('GET', '/v1/me', { auth: shopper.sessionToken })).status).toBe(401);
  });

  it('sends the shopper only to the session own return URLs: no foreign successUrl is accepted or followed', async () => {
    for (const successUrl of [
      'http://evil.example/x',
      'javascript:alert(1)',
      'https://user:pw@shop.example/',
      '//evil.example',
      'https://shop.example/#x',
    ]) {
      const res = await app.call<{ error: { code: string } }>('POST', '/v1/checkout-sessions', {
        auth: merchant.apiKey,
        headers: {
          'Idempotency-Key': `idem_foreign_${successUrl.length}${successUrl.slice(0, 4).replace(/\W/g, 'q')}`,
        },
        body: { amount: 40_000, currency: 'USD', merchantReference: 'foreign', successUrl },
      });
      expect(res.status, successUrl).toBe(400);
    }
    const shopper = await shopperWithCard(app);
    const session = await openCheckout(app, merchant.apiKey);
    const context = await shopperContext(browser);
    const page = await context.newPage();
    await page.goto(`${session.url}?successUrl=https://evil.example/&next=https://evil.example/`);
    await signInOnPage(page, shopper);
    // Fields smuggled into the approve form are ignored: the session's successUrl is the only target.
    await page.evaluate(() => {
      const form = document.querySelector('#approve')?.closest('form');
      for (const name of ['successUrl', 'redirect', 'next']) {
        const input = document.createElement('input');
        input.type = 'hidden';
        input.name = name;
        input.value = 'https://evil.example/';
        form?.append(input);
      }
    });
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.waitForURL(`${SHOP}/done?checkout_session_id=${session.id}`);
    await context.close();
  });

  it('cannot be framed by another origin, runs no script, and keeps its cookies HttpOnly and SameSite=Strict', async () => {
    const session = await openCheckout(app, merchant.apiKey);
    const res = await fetch(session.url);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    const html = await res.text();
    expect(html).not.toMatch(/<script/i);
    // No third-party origin: the only absolute URLs are the shop's own return URLs.
    expect(html.replaceAll(SHOP, '')).not.toMatch(/(src|href|action)="(https?:)?\/\//i);
    for (const cookie of res.headers.getSetCookie()) expect(cookie).toMatch(/HttpOnly; SameSite=Strict/);

    const context = await shopperContext(browser);
    await context.route('https://evil.example/**', (route) =>
      route.fulfill({
        contentType: 'text/html',
        body: `<!doctype html><title>evil</title><iframe id="f" src="${session.url}"></iframe>`,
      }),
    );
    const page = await context.newPage();
    const scripts: string[] = [];
    page.on('request', (r) => {
      if (r.resourceType() === 'script') scripts.push(r.url());
    });
    await page.goto('https://evil.example/frame');
    await page.waitForTimeout(500);
    const frame = page.frames().find((f) => f !== page.mainFrame());
    // Chromium shows its own error page in the frame: never the checkout.
    const framed = frame
      ? await frame
          .getByText('Pay Acme Outdoor')
          .count()
          .catch(() => 0)
      : 0;
    expect(frame).toBeDefined();
    expect(framed).toBe(0);
    await page.goto(session.url);
    expect(scripts).toEqual([]);
    await context.close();
  });
});
