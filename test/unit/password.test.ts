import { scryptSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  checkPasswordStrength,
  hashPassword,
  needsRehash,
  newPasswordSchema,
  PASSWORD_PROBLEM_MESSAGES,
  SCRYPT_PARAMS,
  verifyPassword,
} from '../../functions/customers/password.ts';
import { RegisterCustomerBody } from '../../functions/customers/schema.ts';

const GOOD = 'violet-lantern-harbor-42';

describe('hashPassword / verifyPassword', () => {
  it('stores scrypt$N$r$p$salt$hash with the product parameters', async () => {
    const stored = await hashPassword(GOOD);
    const parts = stored.split('$');
    expect(parts).toHaveLength(6);
    expect(parts.slice(0, 4)).toEqual(['scrypt', '32768', '8', '1']);
    expect(Buffer.from(parts[4] ?? '', 'base64url')).toHaveLength(16);
    expect(Buffer.from(parts[5] ?? '', 'base64url')).toHaveLength(32);
  });

  it('is real scrypt over the NFKC form (a reference derivation agrees)', async () => {
    const stored = await hashPassword(GOOD);
    const [, , , , salt, hash] = stored.split('$');
    const expected = scryptSync(GOOD, Buffer.from(salt ?? '', 'base64url'), 32, {
      N: 2 ** 15,
      r: 8,
      p: 1,
      maxmem: 64 * 1024 * 1024,
    });
    expect(hash).toBe(expected.toString('base64url'));
  });

  it('salts every hash', async () => {
    const [a, b] = await Promise.all([hashPassword(GOOD), hashPassword(GOOD)]);
    expect(a).not.toBe(b);
  });

  it('verifies the right password and rejects others', async () => {
    const stored = await hashPassword(GOOD);
    expect(await verifyPassword(GOOD, stored)).toBe(true);
    expect(await verifyPassword(`${GOOD} `, stored)).toBe(false);
    expect(await verifyPassword(GOOD.toUpperCase(), stored)).toBe(false);
    expect(await verifyPassword('', stored)).toBe(false);
  });

  it('matches the same password typed in another Unicode form', async () => {
    const composed = 'crème-brûlée-au-café';
    const stored = await hashPassword(composed);
    expect(await verifyPassword(composed.normalize('NFD'), stored)).toBe(true);
    expect(await verifyPassword('ｃｒｅｍｅ', await hashPassword('creme'))).toBe(true);
  });

  it('returns false for an unknown account, a malformed hash or oversized input, never throws', async () => {
    const stored = await hashPassword(GOOD);
    const [, N, r, p, salt, hash] = stored.split('$');
    const malformed = [
      '',
      'garbage',
      `bcrypt$${N}$${r}$${p}$${salt}$${hash}`,
      `scrypt$${N}$${r}$${p}$${salt}`,
      `scrypt$1024$${r}$${p}$${salt}$${hash}`, // below the floor
      `scrypt$${2 ** 25}$${r}$${p}$${salt}$${hash}`, // above the ceiling: would allocate 4 GiB
      `scrypt$32767$${r}$${p}$${salt}$${hash}`, // not a power of two
      `scrypt$${N}$0$${p}$${salt}$${hash}`,
      `scrypt$${N}$${r}$${p}$${salt}$${hash}==`,
      `scrypt$${N}$${r}$${p}$${salt}$a`,
      `scrypt$0x8000$${r}$${p}$${salt}$${hash}`,
    ];
    for (const bad of malformed) expect(await verifyPassword(GOOD, bad)).toBe(false);
    expect(await verifyPassword(GOOD, undefined)).toBe(false);
    expect(await verifyPassword('x'.repeat(100_000), stored)).toBe(false);
  });

  it('verifies hashes made with other (older) parameters, and flags them for rehash', async () => {
    const salt = Buffer.alloc(16, 1);
    const key = scryptSync(GOOD, salt, 32, { N: 2 ** 14, r: 8, p: 1 });
    const old = `scrypt$16384$8$1$${salt.toString('base64url')}$${key.toString('base64url')}`;
    expect(await verifyPassword(GOOD, old)).toBe(true);
    expect(needsRehash(old)).toBe(true);
  });

  it('needsRehash is false for a current hash and true for anything unreadable', async () => {
    expect(needsRehash(await hashPassword(GOOD))).toBe(false);
    expect(needsRehash('')).toBe(true);
    expect(needsRehash('scrypt$32768$8$1$abc$def')).toBe(true);
    expect(SCRYPT_PARAMS).toEqual({ N: 32768, r: 8, p: 1 });
  });

  it('the unknown-account path costs about as much as a real check', async () => {
    const stored = await hashPassword(GOOD);
    const time = async (f: () => Promise<unknown>) => {
      const t = performance.now();
      await f();
      return performance.now() - t;
    };
    await verifyPassword(GOOD, stored); // warm up
    const real = await time(() => verifyPassword('wrong-password-123', stored));
    const missing = await time(() => verifyPassword('wrong-password-123', undefined));
    // Generous bounds: this guards against the dummy path being skipped, not against jitter.
    expect(missing).toBeGreaterThan(real / 4);
  });
});

describe('checkPasswordStrength', () => {
  it('accepts a long, unremarkable password', () => {
    expect(checkPasswordStrength(GOOD, { email: 'ann@example.com' })).toEqual([]);
    expect(checkPasswordStrength('correct horse battery stapler')).toEqual([]);
    expect(checkPasswordStrength('zürich-ölfarbe-7')).toEqual([]);
  });

  it('enforces 12 to 128 characters, counted as code points', () => {
    expect(checkPasswordStrength('tr0ub4dor&3')).toContain('too_short');
    expect(checkPasswordStrength('tr0ub4dor&3x')).not.toContain('too_short');
    expect(checkPasswordStrength('🦊🐺🦁🐯🐮🐷🐸🐵🐔🐧🐦🐤')).toEqual([]); // 12 code points, 24 UTF-16 units
    const long = 'abcdefghijklmnopqrstuvwxyz0123456789!?'.repeat(4);
    expect(checkPasswordStrength(long.slice(0, 128))).not.toContain('too_long');
    expect(checkPasswordStrength(long.slice(0, 129))).toContain('too_long');
  });

  it('caps the UTF-8 size too, and huge input cheaply', () => {
    // 128 code points, but 4 bytes each is 512 bytes: at the cap; one more byte over it.
    const emoji = '🦊🐺🦁🐯🐮🐷🐸🐵🐔🐧🐦🐤🐙🦑'.repeat(10);
    const at = [...emoji].slice(0, 128).join('');
    expect(checkPasswordStrength(at)).not.toContain('too_long');
    expect(checkPasswordStrength(`${[...emoji].slice(0, 127).join('')}ab`)).toContain('too_long');
    expect(checkPasswordStrength('a'.repeat(10_000_000))).toEqual(['too_long']);
  });

  it('rejects control characters', () => {
    expect(checkPasswordStrength('violet-lantern\nharbor')).toContain('invalid_characters');
    expect(checkPasswordStrength('violet-lantern\u0000harbor')).toContain('invalid_characters');
  });

  it('rejects the email local part, in any case, ignoring +tags', () => {
    expect(checkPasswordStrength('my-Annabelle-secret-7', { email: 'annabelle@example.com' })).toContain(
      'contains_email',
    );
    expect(checkPasswordStrength('my-annabelle-secret-7', { email: 'Annabelle+shop@example.com' })).toContain(
      'contains_email',
    );
    expect(checkPasswordStrength('my-annabelle-secret-7', { email: 'bob@example.com' })).not.toContain(
      'contains_email',
    );
    // Very short local parts would block half of all passwords; they are not checked.
    expect(checkPasswordStrength('violet-lantern-harbor', { email: 'an@example.com' })).toEqual([]);
  });

  it.each([
    'password1234',
    'Password2024!',
    'P@ssw0rd1234',
    '!!monkey123456',
    '1234567890qwerty',
    'qwertyuiop123',
    '1qaz2wsx3edc',
    'correcthorsebatterystaple',
    'Tessera123456',
    '@dmin12345678',
    'iloveyou2024!!',
  ])('flags %s as common', (pw) => {
    expect(checkPasswordStrength(pw)).toContain('common');
  });

  it('does not flag a listed word inside a longer phrase', () => {
    expect(checkPasswordStrength('my dragon sleeps in winter')).not.toContain('common');
  });

  it.each([
    'aaaaaaaaaaaa',
    'abababababab',
    'abcabcabcabc',
    'passwordpassword',
    'abcdefghijklm',
    'ZYXWVUTSRQPO',
    'aaaaaaaaaaab',
    '1111111111112',
  ])('flags %s as repetitive', (pw) => {
    expect(checkPasswordStrength(pw)).toContain('repetitive');
  });

  it('flags digits-only passwords (phone numbers, dates)', () => {
    expect(checkPasswordStrength('491701234567')).toContain('digits_only');
    expect(checkPasswordStrength('１２３４５６７８９０１２')).toContain('digits_only'); // full-width, NFKC
    expect(checkPasswordStrength('123456789012')).toEqual(
      expect.arrayContaining(['digits_only', 'repetitive']),
    );
  });

  it('lists every problem at once', () => {
    expect(checkPasswordStrength('111', { email: '111@example.com' })).toEqual(
      expect.arrayContaining(['too_short', 'contains_email', 'repetitive', 'digits_only']),
    );
  });
});

describe('zod schemas', () => {
  it('newPasswordSchema gives one clear message per problem', () => {
    const r = newPasswordSchema().safeParse('password');
    expect(r.success).toBe(false);
    const messages = r.error?.issues.map((i) => i.message) ?? [];
    expect(messages).toContain(PASSWORD_PROBLEM_MESSAGES.too_short);
    expect(messages).toContain(PASSWORD_PROBLEM_MESSAGES.common);
    expect(newPasswordSchema().safeParse(GOOD).success).toBe(true);
    expect(newPasswordSchema().safeParse(12345678901234).success).toBe(false);
  });

  it('registration checks the password against the email and points at the password', () => {
    const r = RegisterCustomerBody.safeParse({
      email: 'violet@example.com',
      password: 'violet-lantern-harbor',
    });
    expect(r.success).toBe(false);
    expect(r.error?.issues).toEqual([
      expect.objectContaining({ path: ['password'], message: PASSWORD_PROBLEM_MESSAGES.contains_email }),
    ]);
    expect(RegisterCustomerBody.safeParse({ email: 'ann@example.com', password: GOOD }).success).toBe(true);
    expect(RegisterCustomerBody.safeParse({ email: 'not-an-email', password: GOOD }).success).toBe(false);
  });
});
