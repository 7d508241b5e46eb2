import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import type { HashAlgorithm } from 'otplib';
import { describe, expect, it } from 'vitest';
import {
  generateTotpSecret,
  hotp,
  otpauthUri,
  totpAt,
  totpStep,
  verifyTotp,
} from '../../functions/twofa/totp.ts';

const ascii = (s: string) => new Uint8Array(Buffer.from(s, 'ascii'));
const SEEDS: Record<HashAlgorithm, Uint8Array> = {
  sha1: ascii('12345678901234567890'),
  sha256: ascii('12345678901234567890123456789012'),
  sha512: ascii('1234567890123456789012345678901234567890123456789012345678901234'),
};

// RFC 6238 Appendix B: [time, T (hex), SHA1, SHA256, SHA512], 8 digits, 30 s step.
const RFC6238: ReadonlyArray<readonly [number, string, string, string, string]> = [
  [59, '0000000000000001', '94287082', '46119246', '90693936'],
  [1111111109, '00000000023523EC', '07081804', '68084774', '25091201'],
  [1111111111, '00000000023523ED', '14050471', '67062674', '99943326'],
  [1234567890, '000000000273EF07', '89005924', '91819424', '93441116'],
  [2000000000, '0000000003F940AA', '69279037', '90698825', '38618901'],
  [20000000000, '0000000027BC86AA', '65353130', '77737706', '47863826'],
];

// RFC 4226 Appendix D: HOTP values for counters 0..9, secret "12345678901234567890", 6 digits.
const RFC4226 = [
  '755224',
  '287082',
  '359152',
  '969429',
  '338314',
  '254676',
  '287922',
  '162583',
  '399871',
  '520489',
];

/** An independent RFC 4226 section 5.3 implementation: the oracle for counters otplib refuses. */
function referenceHotp(key: Uint8Array, counter: bigint, algorithm: HashAlgorithm, digits: number): string {
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(counter);
  const mac = createHmac(algorithm, key).update(msg).digest();
  const offset = (mac[mac.length - 1] ?? 0) & 0xf;
  const bin =
    (((mac[offset] ?? 0) & 0x7f) << 24) |
    ((mac[offset + 1] ?? 0) << 16) |
    ((mac[offset + 2] ?? 0) << 8) |
    (mac[offset + 3] ?? 0);
  return String(bin % 10 ** digits).padStart(digits, '0');
}

describe('RFC 6238 Appendix B vectors', () => {
  const algorithms = ['sha1', 'sha256', 'sha512'] as const;
  const cases = RFC6238.flatMap(([time, stepHex, ...codes]) =>
    algorithms.map((algorithm, i) => ({ time, stepHex, algorithm, expected: codes[i] })),
  );

  it.each(cases)('$algorithm at $time -> $expected', async ({ time, algorithm, expected }) => {
    const params = { algorithm, digits: 8, period: 30 };
    const seed = SEEDS[algorithm];
    expect(await totpAt(seed, time, params)).toBe(expected);
    expect(await totpAt(seed, BigInt(time), params)).toBe(expected);
    expect(await totpAt(seed, new Date(time * 1000), params)).toBe(expected);
  });

  it.each(RFC6238.map(([time, stepHex]) => ({ time, stepHex })))(
    'time $time is step $stepHex',
    ({ time, stepHex }) => {
      expect(totpStep(time)).toBe(Number.parseInt(stepHex, 16));
      expect(totpStep(new Date(time * 1000 + 999))).toBe(Number.parseInt(stepHex, 16));
    },
  );

  it('covers 18 vectors', () => {
    expect(cases).toHaveLength(18);
  });
});

describe('RFC 4226 Appendix D vectors', () => {
  it.each(RFC4226.map((expected, counter) => ({ counter, expected })))(
    'counter $counter -> $expected',
    async ({ counter, expected }) => {
      expect(await hotp(SEEDS.sha1, counter)).toBe(expected);
      expect(await hotp(SEEDS.sha1, BigInt(counter))).toBe(expected);
    },
  );
});

describe('64-bit counters beyond otplib’s 2^53 cap', () => {
  const boundary = [2n ** 53n - 2n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n, 2n ** 63n, 2n ** 64n - 1n];

  it.each(boundary.map((counter) => ({ counter })))(
    'hotp at $counter matches RFC 4226 5.3',
    async ({ counter }) => {
      for (const algorithm of ['sha1', 'sha256', 'sha512'] as const) {
        expect(await hotp(SEEDS[algorithm], counter, { algorithm, digits: 8 })).toBe(
          referenceHotp(SEEDS[algorithm], counter, algorithm, 8),
        );
      }
    },
  );

  it('agrees with the reference over the whole uint64 range (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), async (counter) => {
        expect(await hotp(SEEDS.sha1, counter)).toBe(referenceHotp(SEEDS.sha1, counter, 'sha1', 6));
      }),
      { numRuns: 300 },
    );
  });

  it('decodes a base32 secret on the wide path as otplib does on the narrow one', async () => {
    const secret = generateTotpSecret();
    const key = new Uint8Array(base32Decode(secret));
    const counter = 2n ** 60n;
    expect(await hotp(secret, counter)).toBe(referenceHotp(key, counter, 'sha1', 6));
    expect(await hotp(secret, 12345)).toBe(referenceHotp(key, 12345n, 'sha1', 6));
  });

  it('totpAt takes epoch seconds beyond 2^53 as a bigint', async () => {
    const time = 2n ** 60n + 17n;
    expect(await totpAt(SEEDS.sha1, time, { algorithm: 'sha1', digits: 8, period: 30 })).toBe(
      referenceHotp(SEEDS.sha1, time / 30n, 'sha1', 8),
    );
  });

  it('rejects counters and times outside uint64', async () => {
    await expect(hotp(SEEDS.sha1, -1)).rejects.toThrow(RangeError);
    await expect(hotp(SEEDS.sha1, 2n ** 64n)).rejects.toThrow(RangeError);
    await expect(hotp(SEEDS.sha1, 1.5)).rejects.toThrow(RangeError);
    await expect(totpAt(SEEDS.sha1, new Date(Number.NaN))).rejects.toThrow(RangeError);
    await expect(totpAt(SEEDS.sha1, -30)).rejects.toThrow(RangeError);
  });
});

describe('verifyTotp (SHA-1, 6 digits, 30 s, ±1 step)', () => {
  const secret = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ'; // base32 of "12345678901234567890"
  const step = 56_666_667; // 1_700_000_010 s is inside this step
  const at = new Date(1_700_000_025_000);
  const codeFor = (s: number) => totpAt(secret, s * 30);

  it('accepts the current step and reports it', async () => {
    expect(totpStep(at)).toBe(step);
    expect(await verifyTotp(secret, await codeFor(step), at)).toEqual({ ok: true, step });
  });

  it('accepts one step behind and one ahead', async () => {
    expect(await verifyTotp(secret, await codeFor(step - 1), at)).toEqual({ ok: true, step: step - 1 });
    expect(await verifyTotp(secret, await codeFor(step + 1), at)).toEqual({ ok: true, step: step + 1 });
  });

  it('rejects two steps behind or ahead', async () => {
    expect(await verifyTotp(secret, await codeFor(step - 2), at)).toEqual({ ok: false, reason: 'invalid' });
    expect(await verifyTotp(secret, await codeFor(step + 2), at)).toEqual({ ok: false, reason: 'invalid' });
  });

  it('applies the window at the edges of a step', async () => {
    const start = new Date(step * 30_000);
    const end = new Date(step * 30_000 + 29_999);
    expect(await verifyTotp(secret, await codeFor(step - 1), start)).toEqual({ ok: true, step: step - 1 });
    expect(await verifyTotp(secret, await codeFor(step - 2), start)).toMatchObject({ ok: false });
    expect(await verifyTotp(secret, await codeFor(step + 1), end)).toEqual({ ok: true, step: step + 1 });
    expect(await verifyTotp(secret, await codeFor(step + 2), end)).toMatchObject({ ok: false });
  });

  it('rejects a code of the same step as replayed', async () => {
    const code = await codeFor(step);
    const first = await verifyTotp(secret, code, at);
    expect(first).toEqual({ ok: true, step });
    expect(await verifyTotp(secret, code, at, { lastUsedStep: step })).toEqual({
      ok: false,
      reason: 'replayed',
    });
    expect(await verifyTotp(secret, code, at, { lastUsedStep: BigInt(step) })).toEqual({
      ok: false,
      reason: 'replayed',
    });
  });

  it('rejects an older step still inside the window as replayed once a newer one was used', async () => {
    expect(await verifyTotp(secret, await codeFor(step), at, { lastUsedStep: step + 1 })).toEqual({
      ok: false,
      reason: 'replayed',
    });
    expect(await verifyTotp(secret, await codeFor(step - 1), at, { lastUsedStep: step })).toEqual({
      ok: false,
      reason: 'replayed',
    });
  });

  it('still accepts a newer step after an older one was used', async () => {
    expect(await verifyTotp(secret, await codeFor(step + 1), at, { lastUsedStep: step })).toEqual({
      ok: true,
      step: step + 1,
    });
    expect(await verifyTotp(secret, await codeFor(step), at, { lastUsedStep: step - 5 })).toEqual({
      ok: true,
      step,
    });
  });

  it('does not throw when the stored step is ahead of the window (clock went back)', async () => {
    const lastUsedStep = step + 100;
    expect(await verifyTotp(secret, await codeFor(step), at, { lastUsedStep })).toEqual({
      ok: false,
      reason: 'replayed',
    });
    expect(await verifyTotp(secret, '000000', at, { lastUsedStep: 2n ** 64n - 1n })).toMatchObject({
      ok: false,
    });
  });

  it('says invalid, not replayed, for a wrong code with a stored step', async () => {
    const right = await codeFor(step);
    const wrong = String((Number(right) + 1) % 1_000_000).padStart(6, '0');
    expect(await verifyTotp(secret, wrong, at, { lastUsedStep: step - 10 })).toEqual({
      ok: false,
      reason: 'invalid',
    });
  });

  it.each([
    '',
    '12345',
    '1234567',
    'abcdef',
    '12a456',
    ' 123456',
    '123456 ',
    '123456\n',
    '123 456',
    '+12345',
    '-12345',
    '1e5000',
    '١٢٣٤٥٦',
    '１２３４５６',
  ])('rejects %j as invalid without throwing', async (code) => {
    expect(await verifyTotp(secret, code, at)).toEqual({ ok: false, reason: 'invalid' });
  });

  it('rejects a non-string code without throwing', async () => {
    expect(await verifyTotp(secret, 123456 as unknown as string, at)).toEqual({
      ok: false,
      reason: 'invalid',
    });
    expect(await verifyTotp(secret, null as unknown as string, at)).toEqual({ ok: false, reason: 'invalid' });
  });

  it('rejects a valid code with leading digits trimmed or padded', async () => {
    const code = await codeFor(step);
    expect(await verifyTotp(secret, `0${code}`, at)).toEqual({ ok: false, reason: 'invalid' });
    expect(await verifyTotp(secret, code.slice(1), at)).toEqual({ ok: false, reason: 'invalid' });
  });

  it('does not accept another secret’s code', async () => {
    const other = generateTotpSecret();
    expect(await verifyTotp(other, await codeFor(step), at)).toMatchObject({ ok: false });
  });

  it('accepts each code once when the caller stores the step (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 4_000_000_000 }), async (seconds) => {
        const now = new Date(seconds * 1000);
        const code = await totpAt(secret, now);
        const first = await verifyTotp(secret, code, now);
        expect(first).toEqual({ ok: true, step: Math.floor(seconds / 30) });
        if (!first.ok) return;
        expect(await verifyTotp(secret, code, now, { lastUsedStep: first.step })).toEqual({
          ok: false,
          reason: 'replayed',
        });
      }),
      { numRuns: 100 },
    );
  });
});

describe('generateTotpSecret', () => {
  it('is 20 random bytes in unpadded base32', () => {
    const secrets = new Set(Array.from({ length: 50 }, () => generateTotpSecret()));
    expect(secrets.size).toBe(50);
    for (const s of secrets) {
      expect(s).toMatch(/^[A-Z2-7]{32}$/);
      expect(base32Decode(s)).toHaveLength(20);
    }
  });
});

describe('otpauthUri', () => {
  it('builds a Key URI with issuer prefix and parameter', () => {
    const uri = otpauthUri({
      secret: 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ',
      accountName: 'ann+shop@example.com',
    });
    const url = new URL(uri);
    expect(url.protocol).toBe('otpauth:');
    expect(url.host).toBe('totp');
    expect(decodeURIComponent(url.pathname)).toBe('/Tessera:ann+shop@example.com');
    expect(url.searchParams.get('secret')).toBe('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ');
    expect(url.searchParams.get('issuer')).toBe('Tessera');
    // Defaults (SHA1, 6, 30) are omitted, which every authenticator app reads as the defaults.
    expect(url.searchParams.get('algorithm') ?? 'SHA1').toBe('SHA1');
    expect(url.searchParams.get('digits') ?? '6').toBe('6');
    expect(url.searchParams.get('period') ?? '30').toBe('30');
  });

  it('escapes spaces and refuses a colon in the label parts', () => {
    expect(otpauthUri({ secret: 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', accountName: 'a b' })).toContain(
      'Tessera:a%20b',
    );
    expect(() => otpauthUri({ secret: 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', accountName: 'a:b' })).toThrow(
      RangeError,
    );
    expect(() => otpauthUri({ secret: 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', accountName: '' })).toThrow(
      RangeError,
    );
  });
});

function base32Decode(s: string): Buffer {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const ch of s.replace(/=+$/, '')) bits += alphabet.indexOf(ch).toString(2).padStart(5, '0');
  const bytes: number[] = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) bytes.push(Number.parseInt(bits.slice(i, i + 8), 2));
  return Buffer.from(bytes);
}
