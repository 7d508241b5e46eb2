import { isIP } from 'node:net';
import { config } from '../lib/config.ts';

const isLoopback = (host: string) =>
  host === 'localhost' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);

/** Literal addresses a deployed sender must never reach (SSRF into the VPC or instance metadata). */
function isInternalLiteral(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (bare === 'localhost' || bare.endsWith('.localhost')) return true;
  const kind = isIP(bare);
  if (kind === 4) {
    const [a = 0, b = 0] = bare.split('.').map(Number);
    return (
      a === 0 ||
      a === 10 ||
      a === 127 ||
      (a === 100 && b >= 64 && b <= 127) ||
      (a === 169 && b === 254) ||
      (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168)
    );
  }
  if (kind === 6) {
    return (
      bare === '::' || bare === '::1' || /^(fc|fd|fe8|fe9|fea|feb)/.test(bare) || bare.startsWith('::ffff:')
    );
  }
  return false;
}

export type UrlProblem = { code: 'webhook_url_insecure' | 'webhook_url_forbidden'; message: string };

/**
 * Webhooks carry order data: HTTPS only, except plain http to loopback in the local sandbox. In
 * AWS, literal private, loopback and link-local addresses and embedded credentials are refused.
 * Checked at registration and again before every delivery.
 */
export function endpointUrlProblem(raw: string): UrlProblem | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { code: 'webhook_url_forbidden', message: 'url is not a valid URL.' };
  }
  if (url.username || url.password) {
    return { code: 'webhook_url_forbidden', message: 'url must not contain credentials.' };
  }
  const local = config().isLocal;
  if (url.protocol === 'http:') {
    if (local && isLoopback(url.hostname)) return undefined;
    return { code: 'webhook_url_insecure', message: 'url must use https.' };
  }
  if (url.protocol !== 'https:') return { code: 'webhook_url_insecure', message: 'url must use https.' };
  if (!local && isInternalLiteral(url.hostname)) {
    return { code: 'webhook_url_forbidden', message: 'url must not point at a private or loopback address.' };
  }
  return undefined;
}

/** Logs name the host, never the path or query (which may carry a merchant's token). */
export function urlForLogs(raw: string): string {
  try {
    return new URL(raw).origin;
  } catch {
    return '[invalid url]';
  }
}
