/**
 * Browser tests drive Debian's Chromium (`/usr/bin/chromium`, installed by `.ci/run` when missing)
 * through playwright-core: no browser download at test time. Headless, no sandbox (CI runs as root).
 */
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import AxeBuilder from '@axe-core/playwright';
import { type Browser, type BrowserContext, chromium, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, vi } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.ts';
import { idempotencyKey } from '../support/checkout.ts';
import { enrollTotp, outboxCode, registerCustomer, stepUp } from '../support/customers.ts';
import { merchantOverHttp } from '../support/merchants.ts';
import { outputCapture } from '../support/output.ts';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * The shop the shopper returns to: a small server on loopback (http on loopback is allowed in the
 * local sandbox), started by `launch`, answering every path with a page that says where it is.
 */
export let SHOP = '';

async function startShop(): Promise<void> {
  if (SHOP) return;
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><html lang="en"><title>Shop</title><h1>Back at the shop</h1></html>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  server.unref();
  SHOP = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

export async function launch(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`No Chromium at ${CHROMIUM}: run .ci/run, or apt-get install chromium`);
  }
  await startShop();
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
}

/** A browser context of a shopper (desktop unless told). */
export async function shopperContext(
  browser: Browser,
  options: { viewport?: { width: number; height: number }; locale?: string } = {},
): Promise<BrowserContext> {
  const context = await browser.newContext({
    viewport: options.viewport ?? { width: 1280, height: 900 },
    locale: options.locale ?? 'en-US',
  });
  context.setDefaultTimeout(20_000);
  return context;
}

/** An ACTIVE merchant (merchants start `pending_review`; only an active one takes payments). */
export async function newMerchant(app: TestApp, name: string): Promise<{ id: string; apiKey: string }> {
  return merchantOverHttp(app, { name });
}

export async function openCheckout(
  app: TestApp,
  apiKey: string,
  body: Record<string, unknown> = {},
): Promise<{ id: string; url: string }> {
  const res = await app.call<{ id: string; url: string }>('POST', '/v1/checkout-sessions', {
    auth: apiKey,
    headers: { 'Idempotency-Key': idempotencyKey() },
    body: {
      amount: 40_000,
      currency: 'USD',
      merchantReference: `cart-${idempotencyKey().slice(5, 11)}`,
      successUrl: `${SHOP}/done`,
      cancelUrl: `${SHOP}/cart`,
      ...body,
    },
  });
  expect(res.status, res.text).toBe(201);
  return res.json;
}

/** The shopper's session token, from the browser's HttpOnly cookie (as only the test can read it). */
export async function sessionTokenOf(context: BrowserContext): Promise<string> {
  const cookie = (await context.cookies()).find((c) => c.name.endsWith('tsr_session'));
  if (!cookie?.value) throw new Error('the browser holds no session cookie');
  return cookie.value;
}

/**
 * The one-time code of the challenge the page shows, read from the local outbox with the browser's
 * session, or with `sessionToken` (another session of the account) while the browser signs in (the
 * sign-in test also reads it as a person would, from the code page's outbox link).
 */
export async function codeOnPage(app: TestApp, page: Page, sessionToken?: string): Promise<string> {
  const challengeId = await page.locator('input[name=challengeId]').first().inputValue();
  return outboxCode(app, sessionToken ?? (await sessionTokenOf(page.context())), challengeId);
}

export const newEmail = () => `shopper-${idempotencyKey().slice(5, 17)}@example.com`;
export const PASSWORD = 'Quiet-Lantern-Harbor-7';

/**
 * Registers on the page shown (the checkout or the portal), then confirms the email with the code
 * sent to it (from the outbox); signed in afterwards. The "Confirm your email" page passes axe.
 */
export async function registerOnPage(app: TestApp, page: Page, email = newEmail()): Promise<string> {
  await page.getByLabel('Email', { exact: true }).nth(1).fill(email);
  await page.getByLabel('Password (at least 12 characters)').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('heading', { level: 1, name: 'Confirm your email' }).waitFor();
  await expectAccessible(page, 'confirm your email');
  await page.getByLabel('Code', { exact: true }).fill(await codeOnPage(app, page));
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByText(`Signed in as ${email}`).waitFor();
  return email;
}

/** Adds a card through the page's "Add a card" button and the code from the outbox. */
export async function addCardOnPage(app: TestApp, page: Page, number = '4242 4242 4242 4242'): Promise<void> {
  await submitCardOnPage(app, page, number);
  await page
    .getByText(/ending \d{4}/)
    .first()
    .waitFor();
}

/** Opens the card form ("Add a card", the code from the outbox), fills it with `number` and sends it. */
export async function submitCardOnPage(app: TestApp, page: Page, number: string): Promise<void> {
  await page.getByRole('button', { name: 'Add a card' }).click();
  await page.getByLabel('Code', { exact: true }).fill(await codeOnPage(app, page));
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByLabel('Card number').fill(number);
  await page.getByLabel('Expiry month (MM)').fill('12');
  await page.getByLabel('Expiry year (YYYY)').fill('2030');
  await page.getByLabel('Security code').fill('123');
  await page.getByRole('button', { name: 'Save card' }).click();
}

/**
 * A schedule table's rows as the shopper reads them: the text of every cell of every body row
 * (`#`, due date, amount, then interest and status where the table has those columns).
 */
export function tableRows(table: Locator): Promise<string[][]> {
  return table
    .locator('tbody tr')
    .evaluateAll((rows) =>
      rows.map((row) => [...row.querySelectorAll('td')].map((td) => td.textContent ?? '')),
    );
}

/**
 * How an installment reads in `locale` (ECMA-402), computed here from the API's figures rather than
 * by the page's own formatter: a calendar date (dateStyle medium, UTC) and an amount in minor units
 * of a two-decimal currency.
 */
export function shownIn(locale: string, currency: string) {
  return {
    date: (isoDate: string) =>
      new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeZone: 'UTC' }).format(
        new Date(`${isoDate}T00:00:00Z`),
      ),
    money: (minor: number) =>
      new Intl.NumberFormat(locale, { style: 'currency', currency }).format(minor / 100),
  };
}

/** axe-core: no serious or critical violation (WCAG 2.x A/AA rules) on the page as shown. */
export async function expectAccessible(page: Page, label: string): Promise<void> {
  const results = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'])
    .analyze();
  const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(
    bad.map((v) => `${label}: ${v.id} ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`),
  ).toEqual([]);
}

/** A shopper registered over the API with a saved 4242 card (fast setup for the page tests). */
export async function shopperWithCard(app: TestApp) {
  const shopper = await registerCustomer(app);
  return { ...shopper, cardToken: await addCardOverApi(app, shopper.sessionToken, '4242424242424242') };
}

/**
 * A shopper with 2FA on (TOTP enrolled over the API), a saved 4242 card, a verified email and, with
 * `phone`, a verified phone; `sessionToken` is a session opened before 2FA (to read the outbox).
 */
export async function shopperWithTwoFactor(app: TestApp, opts: { phone?: string } = {}) {
  const shopper = await registerCustomer(app, opts);
  const cardToken = await addCardOverApi(app, shopper.sessionToken, '4242424242424242');
  const { secret } = await enrollTotp(app, shopper.sessionToken);
  return { ...shopper, cardToken, totpSecret: secret };
}

/** Fills and sends the sign-in form of the page shown. */
export async function submitSignIn(page: Page, shopper: { email: string; password: string }): Promise<void> {
  await page.locator('#si-email').fill(shopper.email);
  await page.locator('#si-password').fill(shopper.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** Signs in on the page shown with the sign-in form. */
export async function signInOnPage(page: Page, shopper: { email: string; password: string }): Promise<void> {
  await submitSignIn(page, shopper);
  await page.getByText(`Signed in as ${shopper.email}`).waitFor();
}

/**
 * The hunt for a typed card number ("found nowhere outside the vault"): from `start`, every log
 * line (stdout and stderr, captured), and every URL, response header (redirects included) and HTML
 * body of the pages `watch`ed; `expectNowhere` adds every table (the vault holds only ciphertext)
 * and looks for the number bare, as typed, and URL- or form-encoded.
 */
export function panWatch(app: TestApp) {
  const output = outputCapture();
  const seen: string[] = [];
  const bodies: Promise<string>[] = [];
  return {
    start: () => output.start(),
    /** Stops capturing the logs (idempotent; call it in a `finally`). */
    stop: () => output.release(),
    watch(page: Page) {
      page.on('request', (request) => seen.push(request.url()));
      page.on('response', (response) => {
        seen.push(JSON.stringify(response.headers()));
        if ((response.headers()['content-type'] ?? '').startsWith('text/html') && response.status() < 300) {
          bodies.push(response.text().catch(() => ''));
        }
      });
    },
    async expectNowhere(typed: string): Promise<void> {
      output.release();
      const pages = [...seen, ...(await Promise.all(bodies))].join('\n');
      const tables = JSON.stringify(await app.scanAll());
      const bare = typed.replace(/\D/g, '');
      const variants = [bare, typed, encodeURIComponent(typed), typed.replaceAll(' ', '+')];
      expect(seen.length).toBeGreaterThan(5);
      for (const [where, text] of [
        ['tables', tables],
        ['logs', output.lines.join('')],
        ['pages, URLs and redirects', pages],
      ] as const) {
        for (const variant of variants) {
          expect(text.includes(variant), `${where} hold the card number`).toBe(false);
        }
      }
    },
  };
}

/**
 * The setup every browser test file shares: its own app, one Chromium, and a merchant named
 * "Acme Outdoor". Read them through the getters once `beforeAll` has run.
 */
export function browserSuite() {
  // A journey is a few dozen page loads, each with scrypt and DynamoDB behind it: on a shared machine
  // that passes the default 30 s.
  vi.setConfig({ testTimeout: 120_000 });
  let app: TestApp | undefined;
  let browser: Browser | undefined;
  let merchant: { id: string; apiKey: string } | undefined;
  beforeAll(async () => {
    [app, browser] = await Promise.all([startTestApp(), launch()]);
    merchant = await newMerchant(app, 'Acme Outdoor');
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });
  const ready = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('browserSuite: used before beforeAll');
    return value;
  };
  return { app: () => ready(app), browser: () => ready(browser), merchant: () => ready(merchant) };
}

/** Saves a card over the API (an add_card step-up by outbox code first). */
export async function addCardOverApi(app: TestApp, sessionToken: string, number: string): Promise<string> {
  const stepUpToken = await stepUp(app, sessionToken, 'add_card');
  const card = await app.call<{ token: string }>('POST', '/v1/me/cards', {
    auth: sessionToken,
    headers: { 'Step-Up-Token': stepUpToken },
    body: { number, expMonth: 12, expYear: 2030, cvc: '123' },
  });
  expect(card.status, card.text).toBe(201);
  return card.json.token;
}
