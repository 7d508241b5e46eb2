import type { ResolvedAddress, Resolver } from '../../functions/lib/outbound.ts';

/** What a resolver answers for a name that does not exist (getaddrinfo's ENOTFOUND). */
function notFound(hostname: string): Error {
  return Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND', hostname });
}

const answer = (address: string): ResolvedAddress => ({ address, family: address.includes(':') ? 6 : 4 });

/**
 * A resolver that answers from `table` (name -> addresses) and records every question in `asked`;
 * any other name is ENOTFOUND. No test queries real DNS.
 */
export function tableResolver(table: Record<string, string[]>): Resolver & { asked: string[] } {
  const asked: string[] = [];
  const resolve = async (hostname: string) => {
    asked.push(hostname);
    const addresses = table[hostname.toLowerCase()];
    if (!addresses) throw notFound(hostname);
    return addresses.map(answer);
  };
  return Object.assign(resolve, { asked });
}

/**
 * DNS rebinding: the first question about `hostname` gets `first`, every later one gets `then`
 * (a public address while the URL is checked, an internal one when the sender connects).
 */
export function rebindingResolver(
  hostname: string,
  first: string,
  then: string,
): Resolver & { asked: string[] } {
  const asked: string[] = [];
  const resolve = async (name: string) => {
    if (name !== hostname) throw notFound(name);
    asked.push(name);
    return [answer(asked.length === 1 ? first : then)];
  };
  return Object.assign(resolve, { asked });
}

/** The resolver every test starts with (test/support/setup-env.ts): loopback names only. */
export const testDefaultResolver = tableResolver({ localhost: ['127.0.0.1'] });
