import { clock } from '../lib/clock.ts';
import { httpHandler } from '../lib/http.ts';
import { answer, created } from '../lib/use-case.ts';
import { merchantAccess } from '../merchants/access.ts';
import { createOrder as create } from './create.ts';
import { CreateOrderBody } from './schema.ts';

/**
 * `POST /v1/orders`, its own bundle: an `autoCapture` order hands its first installment to the
 * charge queue, as a capture does (the other order routes need no queue). No KMS call, no processor.
 */
export const createOrder = httpHandler(
  {
    auth: merchantAccess,
    body: CreateOrderBody,
    idempotency: { scope: (principal: { merchantId: string }) => principal.merchantId },
  },
  async ({ principal, body, commit }) =>
    answer(commit, created, (port) => create(principal, body, port, clock())),
);
