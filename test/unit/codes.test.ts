import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  generateOtp,
  generateRecoveryCodes,
  hashCode,
  hashRecoveryCode,
  matchRecoveryCode,
  normalizeRecoveryCode,
  otpCodeSchema,
  RECOVERY_ALPHABET,
  recoveryCodeSchema,
  verifyCodeHash,
} from '../../functions/twofa/codes.ts';

const PEPPER = 'p'.repeat(32);
const OTHER_PEPPER = new Uint8Array(32).fill(7);

describe('generateOtp', () => {
  it('returns six ASCII digits, zero-padded', () => {
    for (let i = 0; i < 2000; i++) expect(generateOtp()).toMatch(/^\d{6}$/);
  });

  it('is roughly uniform over each digit position (chi-squared, 9 dof)', () => {
    const draws = 20_000;
    const counts = Array.from({ length: 6 }, () => new Array<number>(10).fill(0));
    for (let i = 0; i < draws; i++) {
      const code = generateOtp();
      for (let p = 0; p < 6; p++) {
        const row = counts[p];
        const d = Number(code[p]);
        if (row) row[d] = (row[d] ?? 0) + 1;
      }
    }
    const expected = draws / 10;
    for (const row of counts) {
      const chi2 = row.reduce((sum, c) => sum + (c - expected) ** 2 / expected, 0);
      // P(chi2 > 60 | 9 dof, uniform) ~ 1.3e-9: never flaky, yet a skipped digit (e.g. no leading 0)
      // gives chi2 ~ 2,000.
      expect(chi2).toBeLessThan(60);
    }
  });

  it('produces codes below 100000 too (leading zeros kept)', () => {
    const seen = Array.from({ length: 5000 }, generateOtp).some((c) => c.startsWith('0'));
    expect(seen).toBe(true);
  });
});

describe('hashCode / verifyCodeHash', () => {
  it('is HMAC-SHA-256 under the pepper, not a bare hash', () => {
    const h = hashCode('123456', PEPPER, 'chl_1');
    expect(Buffer.from(h, 'base64url')).toHaveLength(32);
    expect(h).not.toBe(createHmac('sha256', '').update('123456').digest('base64url'));
    expect(hashCode('123456', PEPPER, 'chl_1')).toBe(h);
  });

  it('accepts the right code and rejects others', () => {
    const h = hashCode('042137', PEPPER, 'chl_1');
    expect(verifyCodeHash('042137', h, PEPPER, 'chl_1')).toBe(true);
    expect(verifyCodeHash('042138', h, PEPPER, 'chl_1')).toBe(false);
    expect(verifyCodeHash('42137', h, PEPPER, 'chl_1')).toBe(false);
  });

  it('binds the pepper and the context', () => {
    const h = hashCode('042137', PEPPER, 'chl_1');
    expect(verifyCodeHash('042137', h, OTHER_PEPPER, 'chl_1')).toBe(false);
    expect(verifyCodeHash('042137', h, PEPPER, 'chl_2')).toBe(false);
    expect(hashCode('042137', PEPPER, 'chl_2')).not.toBe(h);
  });

  it('cannot be confused by moving characters between context and code', () => {
    expect(hashCode('23456', PEPPER, 'chl_1')).not.toBe(hashCode('123456', PEPPER, 'chl_'));
    expect(hashCode('123456', PEPPER, 'a|b')).not.toBe(hashCode('b|123456', PEPPER, 'a'));
  });

  it('returns false, not a throw, for a malformed stored hash or a non-string code', () => {
    expect(verifyCodeHash('123456', '', PEPPER, 'chl_1')).toBe(false);
    expect(verifyCodeHash('123456', 'not-a-hash', PEPPER, 'chl_1')).toBe(false);
    const h = hashCode('123456', PEPPER, 'chl_1');
    expect(verifyCodeHash(123456 as unknown as string, h, PEPPER, 'chl_1')).toBe(false);
  });

  it('refuses a short pepper or an empty context', () => {
    expect(() => hashCode('123456', 'short', 'chl_1')).toThrow(RangeError);
    expect(() => hashCode('123456', PEPPER, '')).toThrow(RangeError);
  });

  it('round-trips any generated code (property)', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 40 }), (context) => {
        const code = generateOtp();
        expect(verifyCodeHash(code, hashCode(code, PEPPER, context), PEPPER, context)).toBe(true);
      }),
    );
  });
});

describe('otpCodeSchema', () => {
  it.each(['000000', '123456', '999999'])('accepts %s', (code) => {
    expect(otpCodeSchema.safeParse(code).success).toBe(true);
  });

  it.each(['', '12345', '1234567', '12345a', ' 123456', '123456\n', '١٢٣٤٥٦'])(
    'rejects %j with a clear message',
    (code) => {
      const r = otpCodeSchema.safeParse(code);
      expect(r.success).toBe(false);
      expect(r.error?.issues[0]?.message).toBe('Enter the 6-digit code.');
    },
  );

  it('rejects a number', () => {
    expect(otpCodeSchema.safeParse(123456).success).toBe(false);
  });
});

describe('recovery codes', () => {
  it('generates 10 distinct XXXX-XXXX-XXXX codes from the unambiguous alphabet by default', () => {
    const codes = generateRecoveryCodes(PEPPER, 'cus_1');
    expect(codes).toHaveLength(10);
    expect(new Set(codes.map((c) => c.code)).size).toBe(10);
    expect(new Set(codes.map((c) => c.hash)).size).toBe(10);
    for (const { code, hash } of codes) {
      expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/);
      expect(code).not.toMatch(/[ILOU]/);
      expect(hash).toBe(hashRecoveryCode(code, PEPPER, 'cus_1'));
      expect(hash).not.toContain(code.replace(/-/g, ''));
    }
  });

  it('carries at least 60 bits each', () => {
    expect(RECOVERY_ALPHABET).toHaveLength(32);
    expect(new Set(RECOVERY_ALPHABET).size).toBe(32);
    expect(12 * Math.log2(RECOVERY_ALPHABET.length)).toBeGreaterThanOrEqual(60);
  });

  it('uses every symbol of the alphabet (uniform draw smoke check)', () => {
    const all = generateRecoveryCodes(PEPPER, 'cus_1', 100)
      .map((c) => c.code.replace(/-/g, ''))
      .join('');
    expect(new Set(all).size).toBe(32);
  });

  it('honours n and rejects nonsense counts', () => {
    expect(generateRecoveryCodes(PEPPER, 'cus_1', 3)).toHaveLength(3);
    expect(() => generateRecoveryCodes(PEPPER, 'cus_1', 0)).toThrow(RangeError);
    expect(() => generateRecoveryCodes(PEPPER, 'cus_1', 1.5)).toThrow(RangeError);
  });

  it('normalizes case, dashes, spaces and Crockford look-alikes before hashing', () => {
    const h = hashRecoveryCode('AB0C-1DEF-GH1J', PEPPER, 'cus_1');
    for (const typed of [
      'ab0c-1def-gh1j',
      'AB0C1DEFGH1J',
      ' ab0c 1def gh1j ',
      'ABOC-IDEF-GHLJ',
      'aboc-ldef-ghij',
    ]) {
      expect(hashRecoveryCode(typed, PEPPER, 'cus_1')).toBe(h);
    }
    expect(normalizeRecoveryCode('abOc-1def-gh1j')).toBe('AB0C1DEFGH1J');
  });

  it('does not match junk, other customers or another pepper', () => {
    const [first] = generateRecoveryCodes(PEPPER, 'cus_1', 1);
    if (!first) throw new Error('no code');
    expect(hashRecoveryCode(first.code, PEPPER, 'cus_2')).not.toBe(first.hash);
    expect(hashRecoveryCode(first.code, OTHER_PEPPER, 'cus_1')).not.toBe(first.hash);
    expect(normalizeRecoveryCode('ABCD-EFGH-JKMU')).toBeUndefined();
    expect(normalizeRecoveryCode('ABCD-EFGH-JKM')).toBeUndefined();
    expect(hashRecoveryCode('', PEPPER, 'cus_1')).toBe(hashRecoveryCode('nonsense', PEPPER, 'cus_1'));
  });

  it('matchRecoveryCode finds the slot, and -1 once that slot is gone', () => {
    const codes = generateRecoveryCodes(PEPPER, 'cus_1');
    const hashes = codes.map((c) => c.hash);
    const pick = codes[6];
    if (!pick) throw new Error('no code');
    expect(matchRecoveryCode(pick.code.toLowerCase(), hashes, PEPPER, 'cus_1')).toBe(6);
    const remaining = hashes.filter((_, i) => i !== 6);
    expect(matchRecoveryCode(pick.code, remaining, PEPPER, 'cus_1')).toBe(-1);
    expect(matchRecoveryCode('0000-0000-0000', hashes, PEPPER, 'cus_1')).toBe(-1);
    expect(matchRecoveryCode(pick.code, hashes, PEPPER, 'cus_2')).toBe(-1);
  });

  it('recoveryCodeSchema accepts typed forms and rejects others with a clear message', () => {
    for (const ok of [
      'ABCD-EFGH-JKMN',
      'abcd efgh jkmn',
      'abcdefghjkmn',
      ' ABCD-EFGH-JKMN ',
      'ABCD-EFGH-JKMO',
    ]) {
      expect(recoveryCodeSchema.safeParse(ok).success).toBe(true);
    }
    for (const bad of [
      '',
      'ABCD-EFGH',
      'ABCD-EFGH-JKMU',
      'ABCD--EFGH-JKMN',
      'ABCD_EFGH_JKMN',
      '123456',
      'x'.repeat(40),
    ]) {
      const r = recoveryCodeSchema.safeParse(bad);
      expect(r.success).toBe(false);
      expect(r.error?.issues[0]?.message).toMatch(/recovery code/);
    }
  });
});
