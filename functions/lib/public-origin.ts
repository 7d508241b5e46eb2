/**
 * Where the API (and the hosted pages behind it) is reached from a browser, for the links Tessera
 * hands out (a checkout session's `url`) and the pages' own links. Never taken from a header a
 * client controls in AWS: API Gateway sets `requestContext.domainName` and `stage`.
 */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { config } from './config.ts';

const LOOPBACK_HOST = /^(127\.0\.0\.1|localhost|\[::1\])(:\d{1,5})?$/;

/** True for the loopback names a local sandbox may use in http URLs (RFC 6761 §6.3, RFC 5735). */
export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK_HOST.test(hostname);
}

/**
 * The public base URL without a trailing slash: `PAGES_BASE_URL` when set (a custom domain);
 * in AWS `https://<domainName>/<stage>`; locally `http://<Host>` when Host is a loopback address.
 */
export function publicBaseUrl(event: Pick<APIGatewayProxyEvent, 'headers' | 'requestContext'>): string {
  const configured = process.env.PAGES_BASE_URL;
  if (configured) return configured.replace(/\/+$/, '');
  if (config().isLocal) {
    const host = event.headers?.host ?? event.headers?.Host ?? '';
    return `http://${isLoopbackHost(host) ? host : '127.0.0.1'}`;
  }
  const { domainName, stage } = event.requestContext;
  return `https://${domainName}/${stage}`;
}

/**
 * The path prefix of the pages' own links: the stage in AWS (`/prod`) unless a custom domain
 * (`PAGES_BASE_URL`) maps the API at its root; empty locally.
 */
export function pathPrefix(event: Pick<APIGatewayProxyEvent, 'requestContext'>): string {
  if (process.env.PAGES_BASE_URL || config().isLocal) return '';
  return `/${event.requestContext.stage}`;
}

/**
 * Why a merchant's return URL (successUrl, cancelUrl) is refused, or undefined when it is fine:
 * absolute https without credentials or fragment; http only on a loopback host in the local sandbox.
 */
export function returnUrlProblem(raw: string): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'must be an absolute URL';
  }
  if (url.username || url.password) return 'must not carry credentials';
  if (url.hash) return 'must not carry a fragment';
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:' && config().isLocal && isLoopbackHost(url.host)) return undefined;
  return config().isLocal ? 'must be https (or http on a loopback host)' : 'must be https';
}
