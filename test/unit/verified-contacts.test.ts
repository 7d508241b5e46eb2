import { afterEach, describe, expect, it } from 'vitest';
import { contactOf } from '../../functions/customers/contacts.ts';
import {
  ContactChangeBody,
  PASSWORD_RESET_TOKEN,
  PasswordResetConfirmBody,
} from '../../functions/customers/schema.ts';
import type { CustomerRecord } from '../../functions/customers/store.ts';
import { type Notification, setNotifier } from '../../functions/lib/notifier.ts';
import { sendSecurityAlert } from '../../functions/lib/security-alert.ts';
import { type CustomerContact, codeChannels, verifiedAddress } from '../../functions/twofa/contacts.ts';

const base: CustomerContact = {
  customerId: 'cus_01ARZ3NDEKTSV4RRFFQ69G5FAV',
  email: 'ann@example.com',
  phone: '+14155550123',
  emailVerified: false,
  phoneVerified: false,
};

describe('codes go to verified addresses only', () => {
  it('no channel while nothing is verified; the phone first once verified; an email alone', () => {
    expect(codeChannels(base)).toEqual([]);
    expect(codeChannels({ ...base, emailVerified: true })).toEqual(['email']);
    expect(codeChannels({ ...base, phoneVerified: true })).toEqual(['sms']);
    expect(codeChannels({ ...base, emailVerified: true, phoneVerified: true })).toEqual(['sms', 'email']);
    const { phone: _, ...noPhone } = base;
    expect(codeChannels({ ...noPhone, phoneVerified: true, emailVerified: true })).toEqual(['email']);
  });

  it('the address of a channel only when verified', () => {
    expect(verifiedAddress(base, 'sms')).toBeUndefined();
    expect(verifiedAddress(base, 'email')).toBeUndefined();
    expect(verifiedAddress({ ...base, phoneVerified: true }, 'sms')).toBe('+14155550123');
    expect(verifiedAddress({ ...base, phoneVerified: true }, 'email')).toBeUndefined();
    expect(verifiedAddress({ ...base, emailVerified: true }, 'email')).toBe('ann@example.com');
  });

  it("a customer record's verified flags come from its verifiedAt stamps (a phone-less stamp counts for nothing)", () => {
    const record: CustomerRecord = {
      id: base.customerId,
      email: base.email,
      passwordHash: 'x',
      createdAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-01T00:00:00.000Z',
      version: 1,
    };
    expect(contactOf(record)).toEqual({
      customerId: base.customerId,
      email: base.email,
      emailVerified: false,
      phoneVerified: false,
    });
    expect(
      contactOf({ ...record, emailVerifiedAt: record.createdAt, phoneVerifiedAt: record.createdAt }),
    ).toMatchObject({
      emailVerified: true,
      phoneVerified: false,
    });
    expect(contactOf({ ...record, phone: base.phone, phoneVerifiedAt: record.createdAt }).phoneVerified).toBe(
      true,
    );
  });
});

describe('security alerts', () => {
  const sent: Notification[] = [];
  afterEach(() => {
    setNotifier(undefined);
    sent.length = 0;
  });

  it('are not sent to an unverified email, and are to a verified one', async () => {
    setNotifier({ send: async (n) => void sent.push(n) });
    await sendSecurityAlert({ ...base, emailVerified: false }, 'Sign-in locked', 'text');
    expect(sent).toEqual([]);
    await sendSecurityAlert({ ...base, emailVerified: true }, 'Sign-in locked', 'text');
    expect(sent).toEqual([
      expect.objectContaining({ to: base.email, kind: 'security_alert', channel: 'email' }),
    ]);
  });
});

describe('request schemas', () => {
  it('a contact change names exactly one new address', () => {
    expect(ContactChangeBody.safeParse({ email: 'Ann.New@Example.com ' }).data).toEqual({
      email: 'ann.new@example.com',
    });
    expect(ContactChangeBody.safeParse({ phone: '+14155550124' }).success).toBe(true);
    expect(ContactChangeBody.safeParse({}).success).toBe(false);
    expect(ContactChangeBody.safeParse({ email: 'a@example.com', phone: '+14155550124' }).success).toBe(
      false,
    );
  });

  it('a reset code is pwr_<ulid>.<43 base64url>; the new password passes the policy', () => {
    const token = `pwr_01ARZ3NDEKTSV4RRFFQ69G5FAV.${'a'.repeat(43)}`;
    expect(PASSWORD_RESET_TOKEN.test(token)).toBe(true);
    for (const bad of [
      `${token}x`,
      token.replace('pwr_', 'chl_'),
      token.replace('.', '_'),
      `${token.slice(0, -1)}=`,
    ]) {
      expect(PASSWORD_RESET_TOKEN.test(bad), bad).toBe(false);
    }
    expect(PasswordResetConfirmBody.safeParse({ token, password: 'Quiet-Lantern-Harbor-7' }).success).toBe(
      true,
    );
    const weak = PasswordResetConfirmBody.safeParse({ token, password: 'Password2024!' });
    expect(weak.error?.issues[0]).toMatchObject({
      path: ['password'],
      params: { code: 'password_too_weak' },
    });
  });
});
