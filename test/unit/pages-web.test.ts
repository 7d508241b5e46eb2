/**
 * The two environments of the hosted pages' web security: in AWS (https) the cookies are
 * `__Host-` prefixed and `Secure` and HSTS is sent; only in the local sandbox on a loopback http
 * origin do they drop both. A merchant's return URLs: https in AWS; http on a loopback host too,
 * in the sandbox only. The browser tests run the sandbox side; these run both.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resetConfig } from '../../functions/lib/config.ts';
import type { HttpEvent } from '../../functions/lib/http.ts';
import { returnUrlProblem } from '../../functions/lib/public-origin.ts';
import { resetSecrets } from '../../functions/lib/secrets.ts';
import { html } from '../../functions/pages/html.ts';
import { csrfPasses, htmlResponse, pageContext, sessionCookie } from '../../functions/pages/web.ts';

const ENV = ['TESSERA_LOCAL', 'TESSERA_DATA_DIR', 'SESSION_SIGNING_SECRET_ARN', 'PAGES_BASE_URL'] as const;
const saved = Object.fromEntries(ENV.map((name) => [name, process.env[name]]));
const secrets = mockClient(SecretsManagerClient);

/** Runs the pages as deployed (`aws`, the session-signing secret from Secrets Manager) or in the sandbox. */
function environment(where: 'aws' | 'local', pagesBaseUrl?: string): void {
  process.env.TESSERA_LOCAL = where === 'local' ? '1' : '0';
  process.env.TESSERA_DATA_DIR = mkdtempSync(join(tmpdir(), 'tessera-pages-'));
  process.env.SESSION_SIGNING_SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:111122223333:secret:signing';
  if (pagesBaseUrl) process.env.PAGES_BASE_URL = pagesBaseUrl;
  else delete process.env.PAGES_BASE_URL;
  resetConfig();
  resetSecrets();
}

beforeEach(() => {
  secrets.reset();
  secrets.on(GetSecretValueCommand).resolves({ SecretString: 'a-test-signing-secret-of-32-bytes!' });
});
afterEach(() => {
  for (const name of ENV) {
    if (saved[name] === undefined) delete process.env[name];
    else process.env[name] = saved[name];
  }
  resetConfig();
  resetSecrets();
});

const API_DOMAIN = 'abc123defg.execute-api.us-east-1.amazonaws.com';

/** A page request as API Gateway hands it over (lower-cased headers, as the page wrapper makes them). */
function pageEvent(headers: Record<string, string>): HttpEvent {
  return {
    httpMethod: 'GET',
    path: '/account',
    resource: '/account',
    headers,
    requestContext: { domainName: API_DOMAIN, stage: 'prod' },
  } as unknown as HttpEvent;
}

const setCookies = (response: ReturnType<typeof htmlResponse>) =>
  (response.multiValueHeaders?.['Set-Cookie'] ?? []).map(String);

describe('pages: cookies outside the sandbox (https)', () => {
  it('are __Host- prefixed and Secure, come with HSTS, and only the __Host- names are read back', async () => {
    environment('aws');
    const ctx = await pageContext(pageEvent({ host: 'attacker.example' }));
    expect(ctx.origin).toBe(`https://${API_DOMAIN}`);
    expect(ctx.secure).toBe(true);
    expect(sessionCookie(ctx, 'tok.en')).toBe(
      '__Host-tsr_session=tok.en; Path=/; Max-Age=900; HttpOnly; SameSite=Strict; Secure',
    );
    expect(sessionCookie(ctx, undefined)).toBe(
      '__Host-tsr_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict; Secure',
    );
    const response = htmlResponse(ctx, 200, html`<p>hi</p>`);
    expect(setCookies(response)).toEqual([
      `__Host-tsr_csrf=${ctx.csrfCookie}; Path=/; Max-Age=86400; HttpOnly; SameSite=Strict; Secure`,
    ]);
    expect(response.headers?.['Strict-Transport-Security']).toBe('max-age=63072000; includeSubDomains');

    // The browser sends the cookies back: the session and the form's CSRF token are accepted.
    const back = await pageContext(
      pageEvent({ cookie: `__Host-tsr_csrf=${ctx.csrfCookie}; __Host-tsr_session=tok.en` }),
    );
    expect(back.sessionToken).toBe('tok.en');
    expect(back.newCsrfCookie).toBe(false);
    expect(csrfPasses(back, new URLSearchParams({ csrf: ctx.csrfToken }))).toBe(true);
    // Unprefixed names (which a sibling subdomain or plain http could plant) are not read.
    const planted = await pageContext(
      pageEvent({ cookie: `tsr_csrf=${ctx.csrfCookie}; tsr_session=tok.en` }),
    );
    expect(planted.sessionToken).toBeUndefined();
    expect(planted.newCsrfCookie).toBe(true);
    expect(csrfPasses(planted, new URLSearchParams({ csrf: ctx.csrfToken }))).toBe(false);
    // The CSRF key came from the deployed secret (Secrets Manager), fetched once.
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });

  it('are Secure and __Host- in the sandbox too when it is served over https (PAGES_BASE_URL)', async () => {
    environment('local', 'https://pay.example.com');
    const ctx = await pageContext(pageEvent({ host: '127.0.0.1:3000' }));
    expect(ctx.secure).toBe(true);
    expect(sessionCookie(ctx, 't')).toMatch(/^__Host-tsr_session=t;.*; Secure$/);
  });
});

describe('pages: cookies in the local sandbox on loopback http', () => {
  it('drop Secure and the __Host- prefix (no TLS there), and HSTS is not sent', async () => {
    environment('local');
    const ctx = await pageContext(pageEvent({ host: '127.0.0.1:3000' }));
    expect(ctx.origin).toBe('http://127.0.0.1:3000');
    expect(ctx.secure).toBe(false);
    expect(sessionCookie(ctx, 'tok.en')).toBe(
      'tsr_session=tok.en; Path=/; Max-Age=900; HttpOnly; SameSite=Strict',
    );
    const response = htmlResponse(ctx, 200, html`<p>hi</p>`);
    expect(setCookies(response)).toEqual([
      `tsr_csrf=${ctx.csrfCookie}; Path=/; Max-Age=86400; HttpOnly; SameSite=Strict`,
    ]);
    expect(response.headers?.['Strict-Transport-Security']).toBeUndefined();
    const back = await pageContext(
      pageEvent({ host: '127.0.0.1:3000', cookie: `tsr_csrf=${ctx.csrfCookie}; tsr_session=tok.en` }),
    );
    expect(back.sessionToken).toBe('tok.en');
    expect(csrfPasses(back, new URLSearchParams({ csrf: ctx.csrfToken }))).toBe(true);
    // The sandbox reads its secret from its data directory, never from Secrets Manager.
    expect(secrets.calls()).toHaveLength(0);
  });
});

describe('return URLs (successUrl, cancelUrl)', () => {
  const CASES: Array<[url: string, aws: string | undefined, local: string | undefined]> = [
    ['https://shop.example/done?cart=1', undefined, undefined],
    ['https://127.0.0.1:8443/done', undefined, undefined],
    ['http://127.0.0.1:8080/cart', 'must be https', undefined],
    ['http://localhost:3000/cart', 'must be https', undefined],
    ['http://[::1]:8080/cart', 'must be https', undefined],
    ['http://shop.example/cart', 'must be https', 'must be https (or http on a loopback host)'],
    ['http://127.0.0.1.nip.io/cart', 'must be https', 'must be https (or http on a loopback host)'],
    ['https://user:pw@shop.example/', 'must not carry credentials', 'must not carry credentials'],
    ['https://shop.example/#x', 'must not carry a fragment', 'must not carry a fragment'],
    ['/relative', 'must be an absolute URL', 'must be an absolute URL'],
  ];

  it('in AWS: https only, loopback http refused', () => {
    environment('aws');
    for (const [url, aws] of CASES) expect(returnUrlProblem(url), url).toBe(aws);
  });

  it('in the local sandbox: https, or http on a loopback host', () => {
    environment('local');
    for (const [url, , local] of CASES) expect(returnUrlProblem(url), url).toBe(local);
  });
});
