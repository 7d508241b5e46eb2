import { clock } from '../lib/clock.ts';
import { httpHandler } from '../lib/http.ts';
import { answer, created } from '../lib/use-case.ts';
import { merchantAccess } from '../merchants/access.ts';
import { cardProcessor } from '../payments/processor.ts';
import { capture } from './capture.ts';
import { refund } from './refund.ts';
import { CaptureBody, OrderIdParams, RefundBody } from './schema.ts';

/**
 * Order routes that move money through the CardProcessor: the first installment at capture, and
 * collected money returned by refunds, through the payments face's process-wide processor.
 */

const idempotency = { scope: (principal: { merchantId: string }) => principal.merchantId };

export const captureOrder = httpHandler(
  { auth: merchantAccess, params: OrderIdParams, body: CaptureBody, idempotency },
  async ({ principal, params, body, commit }) =>
    answer(commit, created, (port) =>
      capture(principal, params.id, body.amount, port, clock(), cardProcessor, body),
    ),
);

export const refundOrder = httpHandler(
  { auth: merchantAccess, params: OrderIdParams, body: RefundBody, idempotency },
  async ({ principal, params, body, commit }) =>
    answer(commit, created, (port) => refund(principal, params.id, body, port, clock(), cardProcessor)),
);
