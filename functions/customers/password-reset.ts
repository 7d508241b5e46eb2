/**
 * Password reset by an emailed single-use code (OWASP Forgot Password Cheat Sheet):
 * - asking answers the same for every email, registered or not (no account enumeration); a code
 *   goes only to an account's VERIFIED email (docs/adr/0017-verified-contacts.md);
 * - asking is rate limited per account (keyed hash of the email, counted for unknown emails too)
 *   and per client IP, with the kernel's fixed-window counter;
 * - the code is `pwr_<id>.<256 random bits>`: stored only as a SHA-256, single use, 30 minutes, and
 *   bound to the email it went to and the password it replaces (a later change voids it);
 * - a reset ends EVERY session of the account, is audited, and is told to the verified email. It
 *   does not sign in: with 2FA on, the next sign-in still needs the second factor.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { auditItem } from '../lib/audit.ts';
import { type Clock, clock as defaultClock } from '../lib/clock.ts';
import { identifierHash } from '../lib/derived-keys.ts';
import { domainError, tooManyRequests } from '../lib/errors.ts';
import { newId } from '../lib/ids.ts';
import { logger } from '../lib/logger.ts';
import { emailNotifier } from '../lib/notifier.ts';
import { countInWindow } from '../lib/rate-window.ts';
import { isCancellation, writeTransaction } from '../lib/transactions.ts';
import type { RequestOrigin } from './origin.ts';
import { afterPasswordSet, assertStrongFor, newPasswordChange } from './password-change.ts';
import type { PasswordResetConfirmBody } from './schema.ts';
import type { CustomerRecord, PasswordResetRecord } from './store.ts';
import * as store from './store.ts';

const MINUTE_MS = 60_000;
/** How long an emailed reset code works. */
export const PASSWORD_RESET_TTL_MS = 30 * MINUTE_MS;
/** Reset requests per fixed one-hour window: per account (email, known or not) and per client IP. */
export const PASSWORD_RESET_LIMITS = {
  perAccount: { max: 3, windowMs: 60 * MINUTE_MS },
  perIp: { max: 10, windowMs: 60 * MINUTE_MS },
} as const;

/** The one answer to every reset request that is not rate limited. */
export const RESET_REQUESTED = {
  object: 'password_reset_request' as const,
  message: 'If an account with this verified email exists, a reset code was sent to it.',
};

const sha256 = (value: string) => createHash('sha256').update(value, 'utf8').digest('base64url');

async function countResetRequest(emailKey: string, origin: RequestOrigin, nowMs: number): Promise<void> {
  const ipKey = await identifierHash('ip', origin.ip);
  for (const [counter, limit] of [
    [`pwreset-ip#${ipKey}`, PASSWORD_RESET_LIMITS.perIp],
    [`pwreset-account#${emailKey}`, PASSWORD_RESET_LIMITS.perAccount],
  ] as const) {
    const counted = await countInWindow(counter, limit, nowMs);
    if (!counted.ok) {
      throw tooManyRequests(
        'Too many password reset requests. Try again later.',
        counted.retryAfterMs / 1000,
      );
    }
  }
}

/**
 * Asks for a reset of `email`'s password: `RESET_REQUESTED` whatever the email, or 429 +
 * Retry-After past the limits. A code is written and emailed only for an account whose email is
 * verified; an unverified one is audited as refused.
 */
export async function requestPasswordReset(
  email: string,
  origin: RequestOrigin,
  clock: Clock = defaultClock(),
) {
  const now = clock.now();
  const emailKey = await identifierHash('email', email);
  await countResetRequest(emailKey, origin, now.getTime());
  const customerId = await store.findCustomerIdByEmail(email);
  const customer = customerId ? await store.getCustomer(customerId) : undefined;
  if (customer?.emailVerifiedAt !== undefined) {
    await issueReset(customer, emailKey, clock);
  } else if (customer) {
    await writeTransaction([
      auditItem(
        {
          action: 'customer.password_reset_refused',
          subject: customer.id,
          actor: 'anonymous',
          reason: 'email_unverified',
        },
        clock,
      ),
    ]);
  }
  return RESET_REQUESTED;
}

async function issueReset(customer: CustomerRecord, emailKey: string, clock: Clock): Promise<void> {
  const now = clock.now();
  const secret = randomBytes(32).toString('base64url');
  const record: PasswordResetRecord = {
    id: newId('passwordReset', now),
    customerId: customer.id,
    secretHash: sha256(secret),
    emailKey,
    passwordKey: sha256(customer.passwordHash),
    status: 'pending',
    createdAt: now.toISOString(),
    expiresAtMs: now.getTime() + PASSWORD_RESET_TTL_MS,
  };
  await writeTransaction([
    store.putPasswordResetItem(record),
    auditItem(
      {
        action: 'customer.password_reset_requested',
        subject: customer.id,
        actor: 'anonymous',
        metadata: { resetId: record.id },
      },
      clock,
    ),
  ]);
  await emailNotifier()
    .send({
      customerId: customer.id,
      channel: 'email',
      to: customer.email,
      subject: 'Reset your Tessera password',
      text:
        `Someone asked to reset the password of your Tessera account. To choose a new one, enter this reset code: ` +
        `${record.id}.${secret} . It works once and expires in ${PASSWORD_RESET_TTL_MS / MINUTE_MS} minutes. ` +
        'If this was not you, ignore this email: your password stays as it is.',
      kind: 'one_time_code',
      reference: record.id,
    })
    // The answer must not differ from an unknown email's: a lost email is logged, not reported.
    .catch((error: unknown) =>
      logger.warn('password reset email not sent', { resetId: record.id, error: String(error) }),
    );
}

const resetInvalid = () =>
  domainError(
    'rejected',
    'password_reset_invalid',
    'This reset code is invalid, expired or already used. Ask for a new one.',
    'token',
  );

/** The reset and its account when `token` is a live code of it; undefined for anything else. */
async function openReset(token: string, nowMs: number) {
  const [id = '', secret = ''] = token.split('.');
  const record = await store.getPasswordReset(id);
  const customer = record ? await store.getCustomer(record.customerId) : undefined;
  if (!record || !customer) return undefined;
  const given = Buffer.from(sha256(secret));
  const stored = Buffer.from(record.secretHash);
  const live =
    given.length === stored.length &&
    timingSafeEqual(given, stored) &&
    record.status === 'pending' &&
    record.expiresAtMs > nowMs &&
    record.emailKey === (await identifierHash('email', customer.email)) &&
    record.passwordKey === sha256(customer.passwordHash);
  return live ? { record, customer } : undefined;
}

/**
 * Sets a new password with an emailed reset code. Throws 422 `password_reset_invalid` (unknown,
 * wrong, expired, used, or voided by a later change of email or password) and 400
 * `password_too_weak`, before anything is written. Then, in one transaction, uses the code, sets
 * the password and audits it; every session of the account ends.
 */
export async function confirmPasswordReset(body: PasswordResetConfirmBody, clock: Clock = defaultClock()) {
  const nowMs = clock.now().getTime();
  const opened = await openReset(body.token, nowMs);
  if (!opened) throw resetInvalid();
  const { record, customer } = opened;
  assertStrongFor(customer, body.password, 'password');
  const { at, items } = await newPasswordChange(
    customer,
    body.password,
    { action: 'customer.password_reset', actor: customer.id, metadata: { resetId: record.id } },
    clock,
  );
  await writeTransaction([store.useResetItem(record.id, nowMs, at), ...items]).catch((error: unknown) => {
    throw isCancellation(error) ? resetInvalid() : error;
  });
  const sessionsRevoked = await afterPasswordSet(
    customer,
    { reason: 'password_reset' },
    [
      'Your Tessera password was reset',
      'The password of your Tessera account was reset with a code sent to this address, and every session was ' +
        'signed out. If this was not you, contact support now.',
    ],
    clock,
  );
  return { object: 'password_reset' as const, completedAt: at, sessionsRevoked };
}
