/**
 * Registration, answered the same way whether or not the email is already registered (no account
 * enumeration; the OWASP Authentication Cheat Sheet; docs/adr/0009). The owner of an existing
 * account is told (at a verified address) that someone tried to register with it; a new account's
 * address gets nothing until the customer verifies it (docs/adr/0017). Registrations are rate limited per client IP.
 */
import { auditItem } from '../lib/audit.ts';
import { type Clock, clock as defaultClock } from '../lib/clock.ts';
import { config } from '../lib/config.ts';
import { identifierHash } from '../lib/derived-keys.ts';
import { domainError, tooManyRequests } from '../lib/errors.ts';
import { newId } from '../lib/ids.ts';
import { countInWindow } from '../lib/rate-window.ts';
import { sendSecurityAlert } from '../lib/security-alert.ts';
import { Transaction, writeTransaction } from '../lib/transactions.ts';
import { contactOf } from './contacts.ts';
import { deviceHash, type RequestOrigin } from './origin.ts';
import { hashPassword } from './password.ts';
import { toResponse } from './profile.ts';
import type { CustomerResponse, RegisterCustomerBody } from './schema.ts';
import type { CustomerRecord } from './store.ts';
import * as store from './store.ts';

const HOUR_MS = 3_600_000;

/** Refuses the request (429 + Retry-After) once its IP used up this hour's registrations. */
async function countRegistration(origin: RequestOrigin, nowMs: number): Promise<void> {
  const ipKey = await identifierHash('ip', origin.ip);
  const limit = { max: config().REGISTRATIONS_PER_IP_PER_HOUR, windowMs: HOUR_MS };
  const counted = await countInWindow(`register-ip#${ipKey}`, limit, nowMs);
  if (!counted.ok) {
    throw tooManyRequests(
      'Too many registrations from this address. Try again later.',
      counted.retryAfterMs / 1000,
    );
  }
}

/** Tells the owner of `email` that someone tried to register with it (best effort). */
async function noticeToOwner(email: string, clock: Clock): Promise<void> {
  const ownerId = await store.findCustomerIdByEmail(email);
  const owner = ownerId ? await store.getCustomer(ownerId) : undefined;
  if (!ownerId || !owner) return;
  await writeTransaction([
    auditItem(
      {
        action: 'customer.registration_refused',
        subject: ownerId,
        actor: 'anonymous',
        reason: 'email_taken',
      },
      clock,
    ),
  ]);
  await sendSecurityAlert(
    contactOf(owner),
    'Someone tried to register with your email',
    'Someone tried to create a Tessera account with this email address, which already has one. No new ' +
      'account was created. If it was you, sign in instead (or reset your password). If not, you can ignore this.',
  );
}

/**
 * Registers a shopper: 201 with the new customer, or, when the email is already taken, the same
 * answer for an account that is not created (a fresh id; nothing written but the owner's notice).
 * The password is hashed with scrypt in both cases, so the two take the same time. Throws 429 when
 * the client IP exceeded `REGISTRATIONS_PER_IP_PER_HOUR` (before any hashing) and 409
 * `concurrent_update` on any other lost condition.
 */
export async function register(
  input: RegisterCustomerBody,
  origin: RequestOrigin,
  clock: Clock = defaultClock(),
): Promise<CustomerResponse> {
  const now = clock.now();
  const at = now.toISOString();
  await countRegistration(origin, now.getTime());
  const passwordHash = await hashPassword(input.password);
  const customer: CustomerRecord = {
    id: newId('customer', now),
    email: input.email,
    ...(input.phone ? { phone: input.phone } : {}),
    passwordHash,
    createdAt: at,
    updatedAt: at,
    version: 1,
  };
  const { emailClaim, profile } = store.createCustomerItems(customer);
  const tx = new Transaction<'emailClaim' | 'account'>().add('emailClaim', emailClaim).add(
    'account',
    profile,
    // The device that registered is known, so its first sign-in raises no alert.
    store.knownDeviceItem(customer.id, await deviceHash(origin), at),
    auditItem({ action: 'customer.registered', subject: customer.id, actor: customer.id }, clock),
  );
  try {
    await writeTransaction(tx.items);
  } catch (error) {
    const cancelled = tx.cancellation(error);
    if (!cancelled) throw error;
    if (!cancelled.lost('emailClaim')) {
      throw domainError('conflict', 'concurrent_update', 'The account could not be created. Try again.');
    }
    await noticeToOwner(customer.email, clock);
    return toResponse(customer, false);
  }
  // No welcome: the address is not verified yet, so nothing goes to it but the code that verifies it
  // (POST /v1/me/contact-verifications; docs/adr/0017-verified-contacts.md).
  return toResponse(customer, false);
}
