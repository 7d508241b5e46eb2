// `npm run screenshots`: the hosted checkout (desktop and 375 px) and the shopper portal, as PNGs in
// docs/screenshots/, from a throwaway local runtime driven by Debian's Chromium (see browser.ts).
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { startLocalRuntime } from '../../infra/local/runtime.ts';

const out = resolve(import.meta.dirname, '../../docs/screenshots');
mkdirSync(out, { recursive: true });
const dataDir = mkdtempSync(join(tmpdir(), 'tessera-shots-'));
const runtime = await startLocalRuntime({ dataDir, dynamodb: { dbPath: join(dataDir, 'db') }, port: 0 });
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox'],
});
const key = () => `shot_${randomBytes(12).toString('hex').replace(/\d/g, 'x')}`;

async function api<T>(method: string, path: string, auth: string, body?: unknown, headers = {}): Promise<T> {
  const res = await fetch(`${runtime.url}${path}`, {
    method,
    headers: { Authorization: `Bearer ${auth}`, 'Content-Type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

async function outboxCode(page: Page): Promise<string> {
  const challengeId = await page.locator('input[name=challengeId]').first().inputValue();
  const session = (await page.context().cookies()).find((c) => c.name.endsWith('tsr_session'))?.value ?? '';
  const outbox = await api<{ data: Array<{ reference?: string; text: string }> }>(
    'GET',
    '/v1/me/outbox',
    session,
  );
  return /code is (\d{6})/.exec(outbox.data.find((m) => m.reference === challengeId)?.text ?? '')?.[1] ?? '';
}

try {
  const merchant = await api<{ id: string; apiKey: string }>(
    'POST',
    '/v1/admin/merchants',
    runtime.operatorToken,
    { name: 'Acme Outdoor' },
  );
  // Merchants start pending_review; only an active one takes payments.
  await api('POST', `/v1/admin/merchants/${merchant.id}/activate`, runtime.operatorToken, {});
  const session = await api<{ url: string }>(
    'POST',
    '/v1/checkout-sessions',
    merchant.apiKey,
    {
      amount: 40_000,
      currency: 'USD',
      merchantReference: 'cart-1001',
      successUrl: `${runtime.url}/account`,
      cancelUrl: `${runtime.url}/account`,
    },
    { 'Idempotency-Key': key() },
  );
  const email = 'ann@example.com';
  const password = 'Quiet-Lantern-Harbor-7';

  const desktop = await (await browser.newContext({ viewport: { width: 1100, height: 900 } })).newPage();
  await desktop.goto(session.url);
  await desktop.locator('#rg-email').fill(email);
  await desktop.locator('#rg-password').fill(password);
  await desktop.getByRole('button', { name: 'Create account' }).click();
  // The new account confirms its email with the code sent to it.
  await desktop.locator('#code').fill(await outboxCode(desktop));
  await desktop.getByRole('button', { name: 'Continue' }).click();
  await desktop.getByRole('button', { name: 'Add a card' }).click();
  await desktop.locator('#code').fill(await outboxCode(desktop));
  await desktop.getByRole('button', { name: 'Continue' }).click();
  await desktop.locator('#number').fill('4242 4242 4242 4242');
  await desktop.locator('#exp-month').fill('12');
  await desktop.locator('#exp-year').fill('2030');
  await desktop.locator('#cvc').fill('123');
  await desktop.getByRole('button', { name: 'Save card' }).click();
  await desktop.getByText('ending 4242').first().waitFor();
  await desktop
    .locator('details')
    .nth(3)
    .evaluate((d) => d.setAttribute('open', ''));
  await desktop.screenshot({ path: join(out, 'checkout-desktop.png'), fullPage: true });

  const small = await browser.newContext({ viewport: { width: 375, height: 812 } });
  await small.addCookies(await desktop.context().cookies());
  const mobile = await small.newPage();
  await mobile.goto(session.url);
  await mobile.screenshot({ path: join(out, 'checkout-mobile.png'), fullPage: true });

  await desktop.getByRole('button', { name: 'Approve' }).click();
  await desktop.waitForURL((url) => url.pathname === '/account');
  const sessionId = /\/pay\/(cs_[0-9A-Z]+)_secret_/.exec(session.url)?.[1] ?? '';
  const read = await api<{ approval: { authorizationToken: string } }>(
    'GET',
    `/v1/checkout-sessions/${sessionId}`,
    merchant.apiKey,
  );
  const order = await api<{ id: string }>(
    'POST',
    '/v1/orders',
    merchant.apiKey,
    { authorizationToken: read.approval.authorizationToken },
    { 'Idempotency-Key': key() },
  );
  await api(
    'POST',
    `/v1/orders/${order.id}/captures`,
    merchant.apiKey,
    { amount: 40_000 },
    { 'Idempotency-Key': key() },
  );
  await api('POST', '/v1/admin/collections', runtime.operatorToken, {
    asOf: new Date().toISOString().slice(0, 10),
  });
  await desktop.goto(`${runtime.url}/account`);
  await desktop.screenshot({ path: join(out, 'portal.png'), fullPage: true });
  process.stdout.write(
    `screenshots: wrote checkout-desktop.png, checkout-mobile.png, portal.png to ${out}\n`,
  );
} finally {
  await browser.close();
  await runtime.close();
  rmSync(dataDir, { recursive: true, force: true });
}
