import { BlockList, isIP } from 'node:net';

/**
 * The special-purpose address ranges an outbound request (a webhook) must never reach: every entry
 * of the IANA IPv4 and IPv6 Special-Purpose Address Registries (RFC 6890 and the RFCs that added
 * entries since), multicast, and the reserved space. Matching is Node's `net.BlockList`.
 *
 * IPv6 is default-deny: only global unicast (2000::/3, IANA IPv6 Address Space) is allowed, so
 * every form that embeds an IPv4 address (IPv4-mapped ::ffff:0:0/96, IPv4-compatible ::/96, 6to4
 * 2002::/16, Teredo 2001::/32) is refused whatever it embeds. The one exception is NAT64
 * 64:ff9b::/96 (RFC 6052), which the registry lists as globally reachable and which DNS64 hands
 * out in IPv6-only networks: it is judged by the IPv4 address it embeds.
 */
export interface SpecialRange {
  /** The registry entry, e.g. `127.0.0.0/8`. */
  cidr: string;
  /** Its registry name and source. */
  name: string;
  /** 127.0.0.0/8 and ::1: the only ranges the local sandbox may reach. */
  loopback: boolean;
}

type Entry = [prefix: string, length: number, name: string];

const IPV4: Entry[] = [
  ['0.0.0.0', 8, 'this network (RFC 791)'],
  ['10.0.0.0', 8, 'private use (RFC 1918)'],
  ['100.64.0.0', 10, 'shared address space (RFC 6598)'],
  ['127.0.0.0', 8, 'loopback (RFC 1122)'],
  ['169.254.0.0', 16, 'link local (RFC 3927)'],
  ['172.16.0.0', 12, 'private use (RFC 1918)'],
  // 192.0.0.0/24 holds DS-Lite 192.0.0.0/29, NAT64 discovery 192.0.0.170/31, PCP and TURN anycast.
  ['192.0.0.0', 24, 'IETF protocol assignments (RFC 6890)'],
  ['192.0.2.0', 24, 'documentation TEST-NET-1 (RFC 5737)'],
  ['192.31.196.0', 24, 'AS112-v4 (RFC 7535)'],
  ['192.52.193.0', 24, 'AMT (RFC 7450)'],
  ['192.88.99.0', 24, 'deprecated 6to4 relay anycast (RFC 7526)'],
  ['192.168.0.0', 16, 'private use (RFC 1918)'],
  ['192.175.48.0', 24, 'direct delegation AS112 service (RFC 7534)'],
  ['198.18.0.0', 15, 'benchmarking (RFC 2544)'],
  ['198.51.100.0', 24, 'documentation TEST-NET-2 (RFC 5737)'],
  ['203.0.113.0', 24, 'documentation TEST-NET-3 (RFC 5737)'],
  ['224.0.0.0', 4, 'multicast (RFC 5771)'],
  ['255.255.255.255', 32, 'limited broadcast (RFC 919)'],
  ['240.0.0.0', 4, 'reserved (RFC 1112)'],
];

/** First match wins, so a sub-range comes before the range that contains it. */
const IPV6: Entry[] = [
  ['::', 128, 'unspecified (RFC 4291)'],
  ['::1', 128, 'loopback (RFC 4291)'],
  ['::ffff:0:0', 96, 'IPv4-mapped (RFC 4291)'],
  ['::', 96, 'IPv4-compatible, deprecated (RFC 4291)'],
  ['64:ff9b:1::', 48, 'local-use IPv4/IPv6 translation (RFC 8215)'],
  ['100::', 64, 'discard-only (RFC 6666)'],
  ['100:0:0:1::', 64, 'dummy prefix (RFC 9780)'],
  ['2001::', 32, 'Teredo (RFC 4380)'],
  ['2001:2::', 48, 'benchmarking (RFC 5180)'],
  ['2001:db8::', 32, 'documentation (RFC 3849)'],
  // 2001::/23 also holds AMT, AS112-v6, ORCHID(v2), drone remote ID and the anycast /128s.
  ['2001::', 23, 'IETF protocol assignments (RFC 2928)'],
  ['2002::', 16, '6to4 (RFC 3056)'],
  ['2620:4f:8000::', 48, 'direct delegation AS112 service (RFC 7534)'],
  ['3fff::', 20, 'documentation (RFC 9637)'],
  ['5f00::', 16, 'segment routing SIDs (RFC 9602)'],
  ['fc00::', 7, 'unique local (RFC 4193)'],
  ['fe80::', 10, 'link local (RFC 4291)'],
  ['fec0::', 10, 'site local, deprecated (RFC 3879)'],
  ['ff00::', 8, 'multicast (RFC 4291)'],
];

const NAT64_PREFIX = '64:ff9b::';

interface Rule extends SpecialRange {
  list: BlockList;
}

function rule(prefix: string, length: number, name: string, family: 'ipv4' | 'ipv6'): Rule {
  const list = new BlockList();
  list.addSubnet(prefix, length, family);
  // One BlockList per family: a v6 rule such as ::ffff:0:0/96 would otherwise match every v4 address.
  return { cidr: `${prefix}/${length}`, name, loopback: name.startsWith('loopback'), list };
}

/** Built on first use, not at import: most functions that import this never send a webhook. */
let built: { v4: Rule[]; v6: Rule[]; nat64: Rule[]; nat64Prefix: Rule; globalUnicast: Rule } | undefined;

function rules() {
  built ??= {
    v4: IPV4.map(([prefix, length, name]) => rule(prefix, length, name, 'ipv4')),
    v6: IPV6.map(([prefix, length, name]) => rule(prefix, length, name, 'ipv6')),
    // The IPv4 rules again, as they appear behind the NAT64 prefix (64:ff9b::a.b.c.d).
    nat64: IPV4.map(([prefix, length, name]) =>
      rule(`${NAT64_PREFIX}${prefix}`, 96 + length, `IPv4/IPv6 translation (RFC 6052) of ${name}`, 'ipv6'),
    ),
    nat64Prefix: rule(NAT64_PREFIX, 96, 'IPv4/IPv6 translation (RFC 6052)', 'ipv6'),
    globalUnicast: rule('2000::', 3, 'global unicast', 'ipv6'),
  };
  return built;
}

const OUTSIDE_GLOBAL_UNICAST: SpecialRange = {
  cidr: '::/0 outside 2000::/3',
  name: 'not global unicast (IANA IPv6 Address Space)',
  loopback: false,
};
const NOT_AN_ADDRESS: SpecialRange = { cidr: '-', name: 'not an IP address', loopback: false };
const SCOPED: SpecialRange = { cidr: '-', name: 'scoped (zone id) address', loopback: false };

function first(list: Rule[], address: string, family: 'ipv4' | 'ipv6'): SpecialRange | undefined {
  const hit = list.find((r) => r.list.check(address, family));
  return hit && { cidr: hit.cidr, name: hit.name, loopback: hit.loopback };
}

/**
 * The special-purpose range `address` falls in, or undefined for a publicly routable address.
 * `address` is a textual IPv4 or IPv6 address as a resolver returns it (brackets allowed); anything
 * else, including an IPv6 address with a zone id, counts as special (fail closed).
 */
export function specialPurposeRange(address: string): SpecialRange | undefined {
  const bare = address.replace(/^\[|\]$/g, '');
  if (bare.includes('%')) return SCOPED;
  const kind = isIP(bare);
  const { v4, v6, nat64, nat64Prefix, globalUnicast } = rules();
  if (kind === 4) return first(v4, bare, 'ipv4');
  if (kind !== 6) return NOT_AN_ADDRESS;
  if (nat64Prefix.list.check(bare, 'ipv6')) return first(nat64, bare, 'ipv6');
  const hit = first(v6, bare, 'ipv6');
  if (hit) return hit;
  return globalUnicast.list.check(bare, 'ipv6') ? undefined : OUTSIDE_GLOBAL_UNICAST;
}

/** What an outbound connection may reach: the local sandbox also reaches loopback, AWS does not. */
export interface AddressPolicy {
  allowLoopback: boolean;
}

/** The range that forbids connecting to `address` under `policy`, or undefined if it is allowed. */
export function deniedRange(address: string, policy: AddressPolicy): SpecialRange | undefined {
  const range = specialPurposeRange(address);
  if (range?.loopback && policy.allowLoopback) return undefined;
  return range;
}
