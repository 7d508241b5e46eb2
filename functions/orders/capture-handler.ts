import { clock } from '../lib/clock.ts';
import { httpHandler } from '../lib/http.ts';
import { answer, created } from '../lib/use-case.ts';
import { merchantAccess } from '../merchants/access.ts';
import { cardProcessor } from '../payments/processor.ts';
import { capture } from './capture.ts';
import { refund } from './refund.ts';
import { CaptureBody, OrderIdParams, RefundBody } from './schema.ts';

/**
 * Order routes that move money: a capture (its first installment is charged by the charger, see
 * ./charge-requests.ts) and a refund (collected money returned through the payments face's
 * process-wide processor, by charge id: no card number involved).
 */

const idempotency = { scope: (principal: { merchantId: string }) => principal.merchantId };

export const captureOrder = httpHandler(
  { auth: merchantAccess, params: OrderIdParams, body: CaptureBody, idempotency },
  async ({ principal, params, body, commit }) =>
    answer(commit, created, (port) => capture(principal, params.id, body.amount, port, clock(), body)),
);

export const refundOrder = httpHandler(
  { auth: merchantAccess, params: OrderIdParams, body: RefundBody, idempotency },
  async ({ principal, params, body, commit }) =>
    answer(commit, created, (port) => refund(principal, params.id, body, port, clock(), cardProcessor)),
);
