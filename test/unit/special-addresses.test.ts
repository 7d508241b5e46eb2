import { describe, expect, it } from 'vitest';
import { deniedRange, specialPurposeRange } from '../../functions/lib/special-addresses.ts';

/**
 * Every entry of the IANA IPv4 and IPv6 Special-Purpose Address Registries (as of 2026), plus
 * multicast and the reserved space: [an address inside, the registry entry it must be reported as].
 * Where a range's edges matter, both its first and its last address are listed.
 */
const IPV4_INSIDE: Array<[string, string]> = [
  ['0.0.0.0', '0.0.0.0/8'],
  ['0.255.255.255', '0.0.0.0/8'],
  ['10.0.0.1', '10.0.0.0/8'],
  ['10.255.255.255', '10.0.0.0/8'],
  ['100.64.0.0', '100.64.0.0/10'],
  ['100.127.255.255', '100.64.0.0/10'],
  ['127.0.0.1', '127.0.0.0/8'],
  ['127.255.255.254', '127.0.0.0/8'],
  ['169.254.169.254', '169.254.0.0/16'], // the instance metadata service
  ['172.16.0.0', '172.16.0.0/12'],
  ['172.31.255.255', '172.16.0.0/12'],
  ['192.0.0.0', '192.0.0.0/24'], // IPv4 Service Continuity Prefix (DS-Lite 192.0.0.0/29)
  ['192.0.0.8', '192.0.0.0/24'], // IPv4 dummy address
  ['192.0.0.9', '192.0.0.0/24'], // Port Control Protocol anycast
  ['192.0.0.10', '192.0.0.0/24'], // TURN anycast
  ['192.0.0.170', '192.0.0.0/24'], // NAT64/DNS64 discovery
  ['192.0.0.171', '192.0.0.0/24'],
  ['192.0.2.1', '192.0.2.0/24'],
  ['192.31.196.1', '192.31.196.0/24'],
  ['192.52.193.1', '192.52.193.0/24'],
  ['192.88.99.1', '192.88.99.0/24'],
  ['192.168.0.1', '192.168.0.0/16'],
  ['192.168.255.255', '192.168.0.0/16'],
  ['192.175.48.1', '192.175.48.0/24'],
  ['198.18.0.0', '198.18.0.0/15'],
  ['198.19.255.255', '198.18.0.0/15'],
  ['198.51.100.7', '198.51.100.0/24'],
  ['203.0.113.9', '203.0.113.0/24'],
  ['224.0.0.1', '224.0.0.0/4'],
  ['239.255.255.255', '224.0.0.0/4'],
  ['240.0.0.1', '240.0.0.0/4'],
  ['255.255.255.254', '240.0.0.0/4'],
  ['255.255.255.255', '255.255.255.255/32'],
];

/** Just outside each range, or an ordinary public address: allowed. */
const IPV4_PUBLIC = [
  '1.1.1.1',
  '8.8.8.8',
  '9.255.255.255',
  '11.0.0.0',
  '100.63.255.255',
  '100.128.0.0',
  '126.255.255.255',
  '128.0.0.0',
  '169.253.255.255',
  '169.255.0.0',
  '172.15.255.255',
  '172.32.0.0',
  '192.0.1.0',
  '192.0.3.0',
  '192.88.98.255',
  '192.167.255.255',
  '192.169.0.0',
  '198.17.255.255',
  '198.20.0.0',
  '203.0.112.255',
  '223.255.255.255',
];

const IPV6_INSIDE: Array<[string, string]> = [
  ['::', '::/128'],
  ['::1', '::1/128'],
  ['0:0:0:0:0:0:0:1', '::1/128'],
  ['::ffff:0:0', '::ffff:0:0/96'],
  // IPv4-mapped: refused whatever it embeds (the public 8.8.8.8 included).
  ['::ffff:127.0.0.1', '::ffff:0:0/96'],
  ['::ffff:7f00:1', '::ffff:0:0/96'],
  ['::ffff:a9fe:a9fe', '::ffff:0:0/96'],
  ['::ffff:8.8.8.8', '::ffff:0:0/96'],
  // IPv4-compatible (deprecated).
  ['::127.0.0.1', '::/96'],
  ['::7f00:1', '::/96'],
  ['::8.8.8.8', '::/96'],
  // NAT64 (RFC 6052) with a special-purpose IPv4 address inside.
  ['64:ff9b::127.0.0.1', '64:ff9b::127.0.0.0/104'],
  ['64:ff9b::7f00:1', '64:ff9b::127.0.0.0/104'],
  ['64:ff9b::a00:1', '64:ff9b::10.0.0.0/104'],
  ['64:ff9b::169.254.169.254', '64:ff9b::169.254.0.0/112'],
  ['64:ff9b::192.168.1.1', '64:ff9b::192.168.0.0/112'],
  ['64:ff9b::0.0.0.0', '64:ff9b::0.0.0.0/104'],
  ['64:ff9b:1::1', '64:ff9b:1::/48'],
  ['64:ff9b:1:ffff:ffff:ffff:ffff:ffff', '64:ff9b:1::/48'],
  ['100::1', '100::/64'],
  ['100:0:0:1::1', '100:0:0:1::/64'],
  // Teredo: server 65.54.227.120, client 127.0.0.1 (stored XOR 0xffffffff as 80ff:fffe).
  ['2001:0:4136:e378:8000:63bf:80ff:fffe', '2001::/32'],
  ['2001::1', '2001::/32'],
  ['2001:1::1', '2001::/23'], // Port Control Protocol anycast
  ['2001:1::2', '2001::/23'], // TURN anycast
  ['2001:1::3', '2001::/23'], // DNS-SD Service Registration Protocol anycast
  ['2001:2::1', '2001:2::/48'],
  ['2001:3::1', '2001::/23'], // AMT
  ['2001:4:112::1', '2001::/23'], // AS112-v6
  ['2001:10::1', '2001::/23'], // ORCHID (deprecated)
  ['2001:20::1', '2001::/23'], // ORCHIDv2
  ['2001:30::1', '2001::/23'], // Drone Remote ID
  ['2001:1ff:ffff::1', '2001::/23'],
  ['2001:db8::1', '2001:db8::/32'],
  // 6to4: 2002:AABB:CCDD:: embeds AA.BB.CC.DD; refused whatever it embeds.
  ['2002:7f00:1::', '2002::/16'],
  ['2002:c0a8:101::1', '2002::/16'],
  ['2002:808:808::1', '2002::/16'],
  ['2620:4f:8000::1', '2620:4f:8000::/48'],
  ['3fff::1', '3fff::/20'],
  ['3fff:fff:ffff::1', '3fff::/20'],
  ['5f00::1', '5f00::/16'],
  ['fc00::1', 'fc00::/7'],
  ['fd12:3456:789a::1', 'fc00::/7'],
  ['fe80::1', 'fe80::/10'],
  ['febf:ffff::1', 'fe80::/10'],
  ['fec0::1', 'fec0::/10'],
  ['ff02::1', 'ff00::/8'],
  ['ff05::1:3', 'ff00::/8'],
  // Outside global unicast 2000::/3: reserved by the IETF, never a receiver.
  ['1::1', '::/0 outside 2000::/3'],
  ['4000::1', '::/0 outside 2000::/3'],
  ['e000::1', '::/0 outside 2000::/3'],
];

const IPV6_PUBLIC = [
  '2001:4860:4860::8888',
  '2606:4700:4700::1111',
  '2a00:1450:4001:82a::200e',
  '2001:200::1', // just past 2001::/23
  '2001:db7:ffff::1', // just before 2001:db8::/32
  '2003::1', // just past 2002::/16
  '3ffe:ffff::1', // just before 3fff::/20
  // NAT64 of a public IPv4 address: how an IPv6-only network with DNS64 reaches an IPv4 receiver.
  '64:ff9b::8.8.8.8',
  '64:ff9b::808:808',
];

describe('special-purpose address ranges (IANA registries)', () => {
  it.each(IPV4_INSIDE)('IPv4 %s is in %s', (address, cidr) => {
    expect(specialPurposeRange(address)?.cidr).toBe(cidr);
  });

  it.each(IPV6_INSIDE)('IPv6 %s is in %s', (address, cidr) => {
    expect(specialPurposeRange(address)?.cidr).toBe(cidr);
    expect(specialPurposeRange(`[${address}]`)?.cidr).toBe(cidr);
  });

  it.each([...IPV4_PUBLIC, ...IPV6_PUBLIC])('%s is public', (address) => {
    expect(specialPurposeRange(address)).toBeUndefined();
  });

  it('a range is reported by its registry name', () => {
    expect(specialPurposeRange('169.254.169.254')).toEqual({
      cidr: '169.254.0.0/16',
      name: 'link local (RFC 3927)',
      loopback: false,
    });
    expect(specialPurposeRange('64:ff9b::a00:1')?.name).toBe(
      'IPv4/IPv6 translation (RFC 6052) of private use (RFC 1918)',
    );
  });

  it('anything that is not a plain address fails closed', () => {
    // Odd IPv4 spellings never reach here from a URL (the URL parser canonicalizes them), but a
    // resolver or a caller could pass them; they are not addresses, so they are refused.
    for (const odd of ['2130706433', '0x7f.1', '017700000001', '127.1', 'localhost', '', 'fe80::1%eth0']) {
      expect(specialPurposeRange(odd), odd).toBeDefined();
    }
  });
});

describe('the policy', () => {
  it('in AWS nothing special is allowed, loopback included', () => {
    const aws = { allowLoopback: false };
    for (const address of ['127.0.0.1', '::1', '10.0.0.1', '169.254.169.254']) {
      expect(deniedRange(address, aws), address).toBeDefined();
    }
    expect(deniedRange('8.8.8.8', aws)).toBeUndefined();
  });

  it('the local sandbox also reaches loopback (127.0.0.0/8 and ::1), and nothing else special', () => {
    const local = { allowLoopback: true };
    for (const address of ['127.0.0.1', '127.9.9.9', '::1']) {
      expect(deniedRange(address, local), address).toBeUndefined();
    }
    for (const address of [
      '10.0.0.1',
      '169.254.169.254',
      '::ffff:127.0.0.1',
      '64:ff9b::127.0.0.1',
      '0.0.0.0',
    ]) {
      expect(deniedRange(address, local), address).toBeDefined();
    }
  });
});
