import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { config } from './config.ts';
import { type AddressPolicy, deniedRange, type SpecialRange } from './special-addresses.ts';

/**
 * The one guard for requests Tessera sends to a URL someone else chose (merchant webhooks): which
 * URLs may be registered, and which address a connection may actually go to. Registration checks
 * the URL and what its host resolves to now; every delivery resolves again and connects only to an
 * address this module allowed (the caller pins the connection to it), so a DNS answer that changes
 * between registration and delivery (DNS rebinding) cannot reach an internal address.
 */

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Every address a host name resolves to, in the resolver's order. Tests inject their own. */
export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

/**
 * The OS resolver (getaddrinfo: /etc/hosts, then DNS), the one Node's own connect would use. IPv4
 * answers first: the connection goes to the first answer only (no happy-eyeballs fallback), and a
 * Lambda outside a dual-stack VPC, or a demo receiver bound to 127.0.0.1, has no IPv6 path.
 */
const systemResolver: Resolver = async (hostname) =>
  (await lookup(hostname, { all: true, order: 'ipv4first' })) as ResolvedAddress[];

let currentResolver: Resolver | undefined;

/** Replaces the resolver (tests: a table, a rebinding resolver); undefined restores the OS's. */
export function setResolver(next: Resolver | undefined): void {
  currentResolver = next;
}

/** The local sandbox reaches loopback (its demo receivers); AWS reaches public addresses only. */
export function outboundPolicy(): AddressPolicy {
  return { allowLoopback: config().isLocal };
}

/** A connection was refused because the address is special-purpose. `code` mirrors Node's errors. */
export class AddressDeniedError extends Error {
  readonly code = 'EADDRDENIED';
  readonly address: string;
  readonly range: SpecialRange;
  constructor(address: string, range: SpecialRange) {
    super(`address not allowed: ${address} (${range.name})`);
    this.name = 'AddressDeniedError';
    this.address = address;
    this.range = range;
  }
}

/** Settles like `promise`, or rejects with the signal's reason (a TimeoutError) when it aborts first. */
export function raceSignal<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/**
 * The address to connect to for `hostname` (a URL's hostname: a name, an IPv4 literal or a
 * bracketed IPv6 literal). A literal is its own answer; a name is resolved. EVERY answer must be
 * allowed by `policy`, not just the first: a mixed answer is how a rebinding attacker gets a
 * client to fall back to the internal one. Returns the first answer; connect to exactly that.
 *
 * Raises AddressDeniedError for a special-purpose answer, the resolver's error (ENOTFOUND, …) if
 * the name does not resolve, and the signal's reason if it aborts first.
 */
export async function resolveAllowed(
  hostname: string,
  options: { policy?: AddressPolicy; signal?: AbortSignal } = {},
): Promise<ResolvedAddress> {
  const policy = options.policy ?? outboundPolicy();
  const bare = hostname.replace(/^\[|\]$/g, '');
  const family = isIP(bare);
  let answers: ResolvedAddress[];
  if (family === 4 || family === 6) {
    answers = [{ address: bare, family }];
  } else {
    const resolving = (currentResolver ?? systemResolver)(bare);
    answers = await (options.signal ? raceSignal(resolving, options.signal) : resolving);
  }
  const [chosen] = answers;
  if (!chosen) throw Object.assign(new Error('the host name has no address'), { code: 'ENOTFOUND' });
  for (const { address } of answers) {
    const range = deniedRange(address, policy);
    if (range) throw new AddressDeniedError(address, range);
  }
  return chosen;
}

export type UrlProblem = { code: 'webhook_url_insecure' | 'webhook_url_forbidden'; message: string };

const LOOPBACK_NAME = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/;
/** RFC 6761: `localhost` and every name under it are loopback, whatever a resolver answers. */
const LOCALHOST_NAME = /(^|\.)localhost\.?$/;

/**
 * What is wrong with a webhook URL without resolving it: not a URL, embedded credentials, not
 * https (plain http only to a loopback host, and only in the local sandbox), a `localhost` name
 * or a special-purpose literal address (decimal, octal and hex IPv4 forms included: the WHATWG URL
 * parser has already turned `https://2130706433/` into 127.0.0.1). Undefined when acceptable.
 */
export function webhookUrlProblem(
  raw: string,
  policy: AddressPolicy = outboundPolicy(),
): UrlProblem | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { code: 'webhook_url_forbidden', message: 'The webhook URL is not a valid URL.' };
  }
  if (url.username || url.password) {
    return { code: 'webhook_url_forbidden', message: 'The webhook URL must not contain credentials.' };
  }
  const plainToLoopback =
    url.protocol === 'http:' && policy.allowLoopback && LOOPBACK_NAME.test(url.hostname);
  if (url.protocol !== 'https:' && !plainToLoopback) {
    return { code: 'webhook_url_insecure', message: 'The webhook URL must use https.' };
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const denied = isIP(host)
    ? deniedRange(host, policy) !== undefined
    : LOCALHOST_NAME.test(host) && !policy.allowLoopback;
  return denied ? FORBIDDEN_ADDRESS : undefined;
}

const FORBIDDEN_ADDRESS: UrlProblem = {
  code: 'webhook_url_forbidden',
  message:
    'The webhook URL must point at a public address, not a private, loopback, link-local or other special-purpose one.',
};

/** How long registration waits for DNS before accepting a URL (delivery checks every connection). */
const REGISTRATION_DNS_TIMEOUT_MS = 3_000;

/**
 * webhookUrlProblem, then what the host resolves to now: a name with any special-purpose answer is
 * refused. A name that does not resolve (yet), or not within 3 s, is accepted: delivery resolves
 * and checks again before every connection, so it can never be used to reach a denied address.
 * The answer never names the address (registration must not be a probe of internal DNS).
 */
export async function webhookUrlProblemAfterDns(
  raw: string,
  policy: AddressPolicy = outboundPolicy(),
): Promise<UrlProblem | undefined> {
  const problem = webhookUrlProblem(raw, policy);
  if (problem) return problem;
  try {
    const signal = AbortSignal.timeout(REGISTRATION_DNS_TIMEOUT_MS);
    await resolveAllowed(new URL(raw).hostname, { policy, signal });
    return undefined;
  } catch (error) {
    return error instanceof AddressDeniedError ? FORBIDDEN_ADDRESS : undefined;
  }
}
