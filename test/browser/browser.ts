/**
 * Browser tests drive Debian's Chromium (`/usr/bin/chromium`, installed by `.ci/run` when missing)
 * through playwright-core: no browser download at test time. Headless, no sandbox (CI runs as root).
 */
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import AxeBuilder from '@axe-core/playwright';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, vi } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.ts';
import { idempotencyKey } from '../support/checkout.ts';
import { registerCustomer, stepUp } from '../support/customers.ts';
import { merchantOverHttp } from '../support/merchants.ts';

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

/** The one-time code of the challenge the page shows, read from the local outbox. */
export async function codeOnPage(app: TestApp, page: Page): Promise<string> {
  const challengeId = await page.locator('input[name=challengeId]').first().inputValue();
  const res = await app.call<{ data: Array<{ reference?: string; text: string }> }>('GET', '/v1/me/outbox', {
    auth: await sessionTokenOf(page.context()),
  });
  const text = res.json.data.find((m) => m.reference === challengeId)?.text ?? '';
  const code = /code is (\d{6})\b/.exec(text)?.[1];
  if (!code) throw new Error(`no code in the outbox for ${challengeId}`);
  return code;
}

export const newEmail = () => `shopper-${idempotencyKey().slice(5, 17)}@example.com`;
export const PASSWORD = 'Quiet-Lantern-Harbor-7';

/** Registers on the page shown (the checkout or the portal), signed in afterwards. */
/** Registers on the page, then confirms the email with the code sent to it (from the outbox). */
export async function registerOnPage(app: TestApp, page: Page, email = newEmail()): Promise<string> {
  await page.getByLabel('Email', { exact: true }).nth(1).fill(email);
  await page.getByLabel('Password (at least 12 characters)').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByText('Confirm your email').first().waitFor();
  await page.getByLabel('Code', { exact: true }).fill(await codeOnPage(app, page));
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByText(`Signed in as ${email}`).waitFor();
  return email;
}

/** Adds a card through the page's "Add a card" button and the code from the outbox. */
export async function addCardOnPage(app: TestApp, page: Page, number = '4242 4242 4242 4242'): Promise<void> {
  await page.getByRole('button', { name: 'Add a card' }).click();
  await page.getByLabel('Code', { exact: true }).fill(await codeOnPage(app, page));
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByLabel('Card number').fill(number);
  await page.getByLabel('Expiry month (MM)').fill('12');
  await page.getByLabel('Expiry year (YYYY)').fill('2030');
  await page.getByLabel('Security code').fill('123');
  await page.getByRole('button', { name: 'Save card' }).click();
  await page
    .getByText(/ending \d{4}/)
    .first()
    .waitFor();
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

/** Signs in on the page shown with the sign-in form. */
export async function signInOnPage(page: Page, shopper: { email: string; password: string }): Promise<void> {
  await page.locator('#si-email').fill(shopper.email);
  await page.locator('#si-password').fill(shopper.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByText(`Signed in as ${shopper.email}`).waitFor();
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
