/**
 * Registration. Its own function: it hashes (scrypt) and sends email, which the profile and
 * sign-out routes in `handler.ts` never need.
 */
import { httpHandler, publicAccess } from '../lib/http.ts';
import { originOf } from './origin.ts';
import { register } from './registration.ts';
import { RegisterCustomerBody } from './schema.ts';

export const registerCustomer = httpHandler(
  { auth: publicAccess, body: RegisterCustomerBody },
  async ({ body, event, headers }) => ({
    status: 201,
    body: await register(body, originOf(event, headers)),
  }),
);
