/**
 * What other capabilities may use of customers: where to reach a customer (the adapter for 2FA's
 * `ContactDirectory` port, bound by the entry points that need it).
 */
import { type CustomerRecord, getCustomer } from './store.ts';

/** Where a customer can be reached, and which addresses they proved they hold (a one-time code). */
export interface CustomerContactDetails {
  customerId: string;
  email: string;
  phone?: string;
  emailVerified: boolean;
  phoneVerified: boolean;
}

/** The contact details of a customer record (its verified flags from `emailVerifiedAt` / `phoneVerifiedAt`). */
export function contactOf(customer: CustomerRecord): CustomerContactDetails {
  return {
    customerId: customer.id,
    email: customer.email,
    ...(customer.phone ? { phone: customer.phone } : {}),
    emailVerified: customer.emailVerifiedAt !== undefined,
    phoneVerified: customer.phone !== undefined && customer.phoneVerifiedAt !== undefined,
  };
}

export const customerContacts = {
  /** Email and phone (if any) of the customer, with what is verified; undefined when there is no such customer. */
  async find(customerId: string): Promise<CustomerContactDetails | undefined> {
    const customer = await getCustomer(customerId);
    return customer ? contactOf(customer) : undefined;
  },
};
