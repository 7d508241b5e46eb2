/**
 * What other capabilities may use of customers: where to reach a customer (the adapter for 2FA's
 * `ContactDirectory` port, bound by the entry points that need it).
 */
import { getCustomer } from './store.ts';

export const customerContacts = {
  /** Email and phone (if any) of the customer; undefined when there is no such customer. */
  async find(customerId: string): Promise<{ customerId: string; email: string; phone?: string } | undefined> {
    const customer = await getCustomer(customerId);
    if (!customer) return undefined;
    return {
      customerId: customer.id,
      email: customer.email,
      ...(customer.phone ? { phone: customer.phone } : {}),
    };
  },
};
