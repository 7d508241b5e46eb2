/**
 * The web security of the hosted pages, in one place: the session and CSRF cookies, the CSRF check,
 * the response headers (a strict nonce-based CSP, no framing, no caching) and the redirects.
 *
 * - Session cookie: the shopper's session token, `HttpOnly; Secure; SameSite=Strict; Path=/`
 *   (`Secure` dropped only on a loopback origin in the local sandbox, where there is no TLS).
 * - CSRF: a random cookie plus, in every form, HMAC(page-csrf key, cookie) (a signed double submit:
 *   an injected cookie is useless without the key); POSTs from another Origin are refused as well.
 * - CSP: `default-src 'none'`, styles and scripts by per-response nonce only, `form-action` limited
 *   to this origin and the session's own return URL origins, `frame-ancestors 'none'`.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { config } from '../lib/config.ts';
import { derivedKey } from '../lib/derived-keys.ts';
import type { HttpEvent } from '../lib/http.ts';
import { publicBaseUrl } from '../lib/public-origin.ts';
import type { Html } from './html.ts';

const SESSION_COOKIE = 'tsr_session';
const CSRF_COOKIE = 'tsr_csrf';
/** The session token's own life (sessions/policy.ts: 15 minutes); the cookie never outlives it. */
const SESSION_COOKIE_MAX_AGE = 15 * 60;

/** Per request: what the page needs to render and answer securely. */
export interface PageContext {
  event: HttpEvent;
  origin: string;
  /** The cookie names carry `__Host-` (bound to this host, Secure, Path=/) outside the sandbox. */
  secure: boolean;
  nonce: string;
  csrfCookie: string;
  /** The value every form of this response carries. */
  csrfToken: string;
  sessionToken?: string;
  /** Set when this response must (re)issue the CSRF cookie. */
  newCsrfCookie: boolean;
}

function cookies(event: HttpEvent): Map<string, string> {
  const header = event.headers?.cookie ?? event.headers?.Cookie ?? '';
  const jar = new Map<string, string>();
  for (const pair of header.split(';')) {
    const at = pair.indexOf('=');
    if (at > 0) jar.set(pair.slice(0, at).trim(), pair.slice(at + 1).trim());
  }
  return jar;
}

const cookieName = (secure: boolean, name: string) => (secure ? `__Host-${name}` : name);

async function csrfTokenFor(cookie: string): Promise<string> {
  return createHmac('sha256', await derivedKey('session-signing', 'page-csrf'))
    .update(cookie, 'utf8')
    .digest('base64url');
}

/** Reads the cookies of a page request and prepares its nonce and CSRF token. */
export async function pageContext(event: HttpEvent): Promise<PageContext> {
  const origin = new URL(publicBaseUrl(event)).origin;
  const secure = !(config().isLocal && origin.startsWith('http:'));
  const jar = cookies(event);
  const existing = jar.get(cookieName(secure, CSRF_COOKIE));
  const csrfCookie =
    existing && /^[A-Za-z0-9_-]{43}$/.test(existing) ? existing : randomBytes(32).toString('base64url');
  const session = jar.get(cookieName(secure, SESSION_COOKIE));
  return {
    event,
    origin,
    secure,
    nonce: randomBytes(16).toString('base64'),
    csrfCookie,
    csrfToken: await csrfTokenFor(csrfCookie),
    ...(session && /^[A-Za-z0-9._-]{1,4096}$/.test(session) ? { sessionToken: session } : {}),
    newCsrfCookie: csrfCookie !== existing,
  };
}

/**
 * True when a POST is this origin's own form: its Origin header (browsers send it on every POST) is
 * ours when present, and its `csrf` field is the HMAC of the CSRF cookie (compared in constant time).
 */
export function csrfPasses(ctx: PageContext, form: URLSearchParams): boolean {
  const origin = ctx.event.headers?.origin ?? ctx.event.headers?.Origin;
  if (origin !== undefined && origin !== ctx.origin) return false;
  if (ctx.newCsrfCookie) return false;
  const given = Buffer.from(form.get('csrf') ?? '', 'utf8');
  const expected = Buffer.from(ctx.csrfToken, 'utf8');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function cookie(ctx: PageContext, name: string, value: string, maxAge: number): string {
  const attributes = [`Path=/`, `Max-Age=${maxAge}`, 'HttpOnly', 'SameSite=Strict'];
  if (ctx.secure) attributes.push('Secure');
  return [`${cookieName(ctx.secure, name)}=${value}`, ...attributes].join('; ');
}

/** Set-Cookie values that sign the browser in with `sessionToken`, or out (`undefined`). */
export const sessionCookie = (ctx: PageContext, sessionToken: string | undefined) =>
  cookie(ctx, SESSION_COOKIE, sessionToken ?? '', sessionToken ? SESSION_COOKIE_MAX_AGE : 0);

function securityHeaders(ctx: PageContext, formTargets: readonly string[]): Record<string, string> {
  const formAction = ["'self'", ...new Set(formTargets.map((u) => new URL(u).origin))].join(' ');
  return {
    'Content-Security-Policy': [
      "default-src 'none'",
      `style-src 'nonce-${ctx.nonce}'`,
      `script-src 'nonce-${ctx.nonce}'`,
      "img-src 'self' data:",
      `form-action ${formAction}`,
      "frame-ancestors 'none'",
      "base-uri 'none'",
    ].join('; '),
    'X-Frame-Options': 'DENY',
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'same-origin',
    'Cache-Control': 'no-store',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Permissions-Policy': 'camera=(), microphone=(), geolocation=(), payment=()',
    ...(ctx.secure ? { 'Strict-Transport-Security': 'max-age=63072000; includeSubDomains' } : {}),
  };
}

function withCookies(ctx: PageContext, setCookies: string[]): Record<string, string[]> {
  const all = ctx.newCsrfCookie
    ? [cookie(ctx, CSRF_COOKIE, ctx.csrfCookie, 86_400), ...setCookies]
    : setCookies;
  return all.length > 0 ? { 'Set-Cookie': all } : {};
}

/** An HTML response with the page security headers. `formTargets`: URLs a form may end up at. */
export function htmlResponse(
  ctx: PageContext,
  status: number,
  page: Html,
  options: { setCookies?: string[]; formTargets?: readonly string[] } = {},
): APIGatewayProxyResult {
  return {
    statusCode: status,
    headers: {
      'Content-Type': 'text/html; charset=utf-8',
      ...securityHeaders(ctx, options.formTargets ?? []),
    },
    multiValueHeaders: withCookies(ctx, options.setCookies ?? []),
    body: page.text,
  };
}

/**
 * A 303 to `location`: a path of this origin, or one of the session's own return URLs (the caller
 * passes only those: nothing from the request ever becomes a redirect target).
 */
export function redirect(
  ctx: PageContext,
  location: string,
  setCookies: string[] = [],
): APIGatewayProxyResult {
  return {
    statusCode: 303,
    headers: { Location: location, 'Cache-Control': 'no-store', 'Referrer-Policy': 'same-origin' },
    multiValueHeaders: withCookies(ctx, setCookies),
    body: '',
  };
}

/** The form fields of a POST (application/x-www-form-urlencoded); anything else reads as empty. */
export function formOf(event: HttpEvent): URLSearchParams {
  const type = (event.headers?.['content-type'] ?? event.headers?.['Content-Type'] ?? '').toLowerCase();
  if (!type.startsWith('application/x-www-form-urlencoded') || !event.body) return new URLSearchParams();
  const body = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  return new URLSearchParams(body);
}
