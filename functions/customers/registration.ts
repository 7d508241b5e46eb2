/** Registration: a new customer with a unique email, the registering device already known. */
import { auditItem } from '../lib/audit.ts';
import { type Clock, clock as defaultClock } from '../lib/clock.ts';
import { conflict } from '../lib/errors.ts';
import { newId } from '../lib/ids.ts';
import { transact } from '../lib/transact.ts';
import { deviceHash, type RequestOrigin } from './origin.ts';
import { hashPassword } from './password.ts';
import { toResponse } from './profile.ts';
import type { CustomerResponse, RegisterCustomerBody } from './schema.ts';
import type { CustomerRecord } from './store.ts';
import * as store from './store.ts';

/**
 * Creates the customer (the password hashed with scrypt). Throws 409 `email_unavailable` when the
 * email is taken and 409 `concurrent_update` on any other lost condition.
 */
export async function register(
  input: RegisterCustomerBody,
  origin: RequestOrigin,
  clock: Clock = defaultClock(),
): Promise<CustomerResponse> {
  const now = clock.now();
  const at = now.toISOString();
  // Hash before looking at uniqueness, so a duplicate takes as long as a new account.
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
  const outcome = await transact([
    ...store.createCustomerItems(customer),
    // The device that registered is known, so its first sign-in raises no alert.
    store.knownDeviceItem(customer.id, await deviceHash(origin), at),
    auditItem({ action: 'customer.registered', subject: customer.id, actor: customer.id }, clock),
  ]);
  if (!outcome.ok) {
    if (outcome.reasons[store.EMAIL_CLAIM_INDEX] === 'ConditionalCheckFailed') {
      // Says nothing about the other account (verified or not, 2FA or not).
      throw conflict(
        'email_unavailable',
        'This email address cannot be used to register. If it is yours, sign in.',
      );
    }
    throw conflict('concurrent_update', 'The account could not be created. Try again.');
  }
  return toResponse(customer, false);
}
