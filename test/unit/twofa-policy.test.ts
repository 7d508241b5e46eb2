import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { EmailSchema, RegisterCustomerBody } from '../../functions/customers/schema.ts';
import { fixedClock } from '../../functions/lib/clock.ts';
import { resetConfig } from '../../functions/lib/config.ts';
import { resetSecrets } from '../../functions/lib/secrets.ts';
import {
  type GuardPolicy,
  PASSWORD_ACCOUNT_POLICY,
  PASSWORD_IP_POLICY,
  waitAfter,
} from '../../functions/sessions/policy.ts';
import { signSessionToken, verifySessionToken } from '../../functions/sessions/tokens.ts';
import { requireStepUp } from '../../functions/twofa/gate.ts';
import { TWOFA_POLICY } from '../../functions/twofa/policy.ts';
import { MfaSessionBody, StepUpBody } from '../../functions/twofa/schema.ts';
import { signStepUpToken, verifyStepUpToken } from '../../functions/twofa/tokens.ts';

beforeAll(() => {
  process.env.TESSERA_LOCAL = '1';
  process.env.TESSERA_DATA_DIR = mkdtempSync(join(tmpdir(), 'tessera-tokens-'));
  resetConfig();
  resetSecrets();
});

const schedule = (policy: GuardPolicy, upTo: number) =>
  Array.from({ length: upTo }, (_, i) => waitAfter(i + 1, policy) / 1000);

describe('lockout schedules (seconds to wait after n consecutive failures)', () => {
  it('password per account: 4 free, 15 s doubling, locked 1 h at 10', () => {
    expect(schedule(PASSWORD_ACCOUNT_POLICY, 12)).toEqual([
      0, 0, 0, 0, 15, 30, 60, 120, 240, 3600, 3600, 3600,
    ]);
  });
  it('password per IP: 20 free, 15 s doubling capped at 15 min, locked 1 h at 30', () => {
    const s = schedule(PASSWORD_IP_POLICY, 31);
    expect(s.slice(0, 20).every((w) => w === 0)).toBe(true);
    expect(s.slice(20)).toEqual([15, 30, 60, 120, 240, 480, 900, 900, 900, 3600, 3600]);
  });
  it('second factor per customer: 3 free, 15 s doubling, locked 1 h at 10', () => {
    expect(schedule(TWOFA_POLICY, 10)).toEqual([0, 0, 0, 15, 30, 60, 120, 240, 480, 3600]);
  });
});

describe('request schemas', () => {
  it('a money step-up must name the amount; other actions take neither amount nor payee', () => {
    expect(StepUpBody.safeParse({ action: 'withdrawal' }).success).toBe(false);
    expect(
      StepUpBody.safeParse({
        action: 'withdrawal',
        amount: { amount: 10000, currency: 'USD' },
        payee: 'bank_1',
      }).success,
    ).toBe(true);
    expect(StepUpBody.safeParse({ action: 'add_card', payee: 'x' }).success).toBe(false);
    expect(StepUpBody.safeParse({ action: 'add_card', amount: { amount: 1, currency: 'USD' } }).success).toBe(
      false,
    );
    expect(StepUpBody.safeParse({ action: 'add_card' }).success).toBe(true);
    for (const amount of [0, -1, 1.5, '100', Number.MAX_SAFE_INTEGER + 1]) {
      expect(
        StepUpBody.safeParse({ action: 'withdrawal', amount: { amount, currency: 'USD' } }).success,
        String(amount),
      ).toBe(false);
    }
    expect(
      StepUpBody.safeParse({ action: 'withdrawal', amount: { amount: 1, currency: 'XXX' } }).success,
    ).toBe(false);
    expect(
      StepUpBody.safeParse({ action: 'withdrawal', amount: { amount: 1, currency: 'USD' }, payee: 'a\nb' })
        .success,
    ).toBe(false);
  });

  it('MFA takes exactly one of a 6-digit code or a recovery code', () => {
    const challengeId = 'chl_01ARZ3NDEKTSV4RRFFQ69G5FAV';
    expect(MfaSessionBody.safeParse({ challengeId, code: '012345' }).success).toBe(true);
    expect(MfaSessionBody.safeParse({ challengeId, recoveryCode: 'ABCD-EFGH-JKMN' }).success).toBe(true);
    expect(MfaSessionBody.safeParse({ challengeId }).success).toBe(false);
    expect(
      MfaSessionBody.safeParse({ challengeId, code: '012345', recoveryCode: 'ABCD-EFGH-JKMN' }).success,
    ).toBe(false);
    for (const code of ['12345', '1234567', '12a456', ' 123456', '１２３４５６', 123456]) {
      expect(MfaSessionBody.safeParse({ challengeId, code }).success, String(code)).toBe(false);
    }
  });

  it('emails are trimmed and lower-cased; bad ones and weak passwords are refused', () => {
    expect(EmailSchema.parse('  Ann.Lee+Shop@Example.COM ')).toBe('ann.lee+shop@example.com');
    for (const bad of [
      'ann',
      'ann@',
      '@example.com',
      'ann@example',
      'a b@example.com',
      `${'a'.repeat(250)}@x.io`,
    ]) {
      expect(EmailSchema.safeParse(bad).success, bad).toBe(false);
    }
    const weak = RegisterCustomerBody.safeParse({ email: 'ann@example.com', password: 'ann@example.com1' });
    expect(weak.success).toBe(false);
    expect(weak.error?.issues[0]?.path).toEqual(['password']);
  });
});

describe('session and step-up tokens', () => {
  const now = new Date('2026-07-01T12:00:00.000Z');
  const customerId = 'cus_01ARZ3NDEKTSV4RRFFQ69G5FAV';

  it('a session token lives 15 minutes and cannot be altered', async () => {
    const { token, expiresAt } = await signSessionToken(
      { customerId, sessionId: 'ses_01ARZ3NDEKTSV4RRFFQ69G5FAV' },
      now,
    );
    expect(expiresAt.getTime() - now.getTime()).toBe(15 * 60_000);
    expect(await verifySessionToken(token, new Date(now.getTime() + 14 * 60_000))).toEqual({
      customerId,
      sessionId: 'ses_01ARZ3NDEKTSV4RRFFQ69G5FAV',
    });
    expect(await verifySessionToken(token, expiresAt)).toBeUndefined();
    const [header, payload, signature] = token.split('.');
    const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString());
    const forged = Buffer.from(JSON.stringify({ ...claims, sub: 'cus_01BX5ZZKBKACTAV9WEVGEMMVRZ' })).toString(
      'base64url',
    );
    expect(await verifySessionToken(`${header}.${forged}.${signature}`, now)).toBeUndefined();
  });

  it('refuses unsigned tokens and tokens under another key', async () => {
    const none = `${Buffer.from('{"alg":"none","typ":"session+jwt"}').toString('base64url')}.${Buffer.from(
      JSON.stringify({ sub: customerId, sid: 'ses_x', iat: 1, exp: 9e9 }),
    ).toString('base64url')}.`;
    expect(await verifySessionToken(none, now)).toBeUndefined();
    const foreign = await new SignJWT({ sid: 'ses_01ARZ3NDEKTSV4RRFFQ69G5FAV' })
      .setProtectedHeader({ alg: 'HS256', typ: 'session+jwt' })
      .setIssuer('tessera')
      .setAudience('tessera:customer-session')
      .setSubject(customerId)
      .setIssuedAt(Math.floor(now.getTime() / 1000))
      .setExpirationTime(Math.floor(now.getTime() / 1000) + 60)
      .sign(new Uint8Array(32).fill(1));
    expect(await verifySessionToken(foreign, now)).toBeUndefined();
    expect(await verifySessionToken('x'.repeat(5000), now)).toBeUndefined();
  });

  it('a step-up token carries its binding and lives 5 minutes', async () => {
    const { token } = await signStepUpToken(
      {
        customerId,
        action: 'withdrawal',
        challengeId: 'chl_01ARZ3NDEKTSV4RRFFQ69G5FAV',
        amount: { amount: 10000, currency: 'USD' },
        payee: 'bank_1',
      },
      now,
    );
    expect(await verifyStepUpToken(token, new Date(now.getTime() + 299_000))).toMatchObject({
      customerId,
      action: 'withdrawal',
      amount: { amount: 10000, currency: 'USD' },
      payee: 'bank_1',
    });
    expect(await verifyStepUpToken(token, new Date(now.getTime() + 300_000))).toBeUndefined();
  });

  it('the gate returns a conditional single-use write for the exact binding', async () => {
    const clock = fixedClock(now);
    const { token } = await signStepUpToken(
      { customerId, action: 'add_card', challengeId: 'chl_01ARZ3NDEKTSV4RRFFQ69G5FAV' },
      now,
    );
    const item = await requireStepUp(
      { headers: { 'step-up-token': token }, customerId, action: 'add_card' },
      clock,
    );
    expect(item.Put).toMatchObject({
      Item: { pk: 'STEPUP#chl_01ARZ3NDEKTSV4RRFFQ69G5FAV', sk: 'STEPUP' },
      ConditionExpression: 'attribute_not_exists(pk)',
    });
    await expect(
      requireStepUp(
        { headers: { 'step-up-token': token }, customerId, action: 'add_card', payee: 'someone' },
        clock,
      ),
    ).rejects.toMatchObject({ status: 403, code: 'step_up_invalid' });
  });
});
