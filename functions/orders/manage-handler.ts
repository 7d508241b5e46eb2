/**
 * Order-management routes that move no money (issue 13): release the rest of an authorization,
 * update an order, add shipping info to a capture, read captures and refunds. No vault, no
 * processor in this bundle.
 */
import { clock } from '../lib/clock.ts';
import { httpHandler } from '../lib/http.ts';
import { answer, ok } from '../lib/use-case.ts';
import { merchantAccess } from '../merchants/access.ts';
import { getCapture, getRefund, listCaptures, listRefunds } from './capture-read.ts';
import {
  AddShippingInfoBody,
  OrderCaptureParams,
  OrderRefundParams,
  UpdateOrderBody,
} from './manage-schema.ts';
import { releaseRemainingAuthorization } from './release.ts';
import { OrderIdParams } from './schema.ts';
import { addShippingInfo } from './shipping-info.ts';
import { updateOrder as update } from './update.ts';

const idempotency = { scope: (principal: { merchantId: string }) => principal.merchantId };

export const releaseOrderAuthorization = httpHandler(
  { auth: merchantAccess, params: OrderIdParams, idempotency },
  async ({ principal, params, commit }) =>
    answer(commit, ok, (port) => releaseRemainingAuthorization(principal, params.id, port, clock())),
);

export const updateOrder = httpHandler(
  { auth: merchantAccess, params: OrderIdParams, body: UpdateOrderBody, idempotency },
  async ({ principal, params, body, commit }) =>
    answer(commit, ok, (port) => update(principal, params.id, body, port, clock())),
);

export const addCaptureShippingInfo = httpHandler(
  { auth: merchantAccess, params: OrderCaptureParams, body: AddShippingInfoBody, idempotency },
  async ({ principal, params, body, commit }) =>
    answer(commit, ok, (port) =>
      addShippingInfo(principal, params.id, params.captureId, body.shippingInfo, port, clock()),
    ),
);

export const getOrderCapture = httpHandler(
  { auth: merchantAccess, params: OrderCaptureParams },
  async ({ principal, params }) => ok(await getCapture(principal, params.id, params.captureId)),
);

export const listOrderCaptures = httpHandler(
  { auth: merchantAccess, params: OrderIdParams },
  async ({ principal, params }) => ok(await listCaptures(principal, params.id)),
);

export const getOrderRefund = httpHandler(
  { auth: merchantAccess, params: OrderRefundParams },
  async ({ principal, params }) => ok(await getRefund(principal, params.id, params.refundId)),
);

export const listOrderRefunds = httpHandler(
  { auth: merchantAccess, params: OrderIdParams },
  async ({ principal, params }) => ok(await listRefunds(principal, params.id)),
);
