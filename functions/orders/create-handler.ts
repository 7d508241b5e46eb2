import { clock } from '../lib/clock.ts';
import { httpHandler } from '../lib/http.ts';
import { answer, created } from '../lib/use-case.ts';
import { merchantAccess } from '../merchants/access.ts';
import { cardProcessor } from '../payments/processor.ts';
import { createOrder as create } from './create.ts';
import { CreateOrderBody } from './schema.ts';

/**
 * `POST /v1/orders`, its own bundle: an `autoCapture` order charges its first installment through
 * the processor, as a capture does. Without `autoCapture` it makes no KMS call and no processor call.
 */
export const createOrder = httpHandler(
  {
    auth: merchantAccess,
    body: CreateOrderBody,
    idempotency: { scope: (principal: { merchantId: string }) => principal.merchantId },
  },
  async ({ principal, body, commit }) =>
    answer(commit, created, (port) => create(principal, body, port, clock(), cardProcessor)),
);
