/** The signed-in customer's profile. */
import { unauthorized } from '../lib/errors.ts';
import { isTwoFactorActive } from '../twofa/gate.ts';
import type { CustomerResponse } from './schema.ts';
import type { CustomerRecord } from './store.ts';
import * as store from './store.ts';

export function toResponse(customer: CustomerRecord, twoFactorEnabled: boolean): CustomerResponse {
  return {
    id: customer.id,
    object: 'customer',
    email: customer.email,
    ...(customer.phone ? { phone: customer.phone } : {}),
    emailVerified: customer.emailVerifiedAt !== undefined,
    ...(customer.phone ? { phoneVerified: customer.phoneVerifiedAt !== undefined } : {}),
    twoFactorEnabled,
    createdAt: customer.createdAt,
  };
}

/** The profile of `customerId`; 401 `session_invalid` when the account is gone. */
export async function getProfile(customerId: string): Promise<CustomerResponse> {
  const customer = await store.getCustomer(customerId);
  if (!customer) throw unauthorized('The session has ended.', 'session_invalid');
  return toResponse(customer, await isTwoFactorActive(customerId));
}
