/** The portal's home page for the request's shopper: orders with schedules, cards, 2FA state. */
import type { APIGatewayProxyResult } from 'aws-lambda';
import { listAgreements } from '../agreements/me-handler.ts';
import { listMyDisputesHandler } from '../disputes/handler.ts';
import { pathPrefix } from '../lib/public-origin.ts';
import { getMyOrder, listMyOrders } from '../orders/me-handler.ts';
import {
  type AccountView,
  accountHome,
  accountSignedOut,
  type MyAgreement,
  type MyDispute,
  type MyOrder,
} from './account-view.ts';
import { invoke } from './invoke.ts';
import { newIdempotencyKey } from './keys.ts';
import type { PageRequest } from './run.ts';
import { me, savedCards } from './shopper.ts';
import { htmlResponse, sessionCookie } from './web.ts';

/** What a redirect back to `/account?done=…` says: fixed texts only, nothing echoed from the request. */
export const DONE: Record<string, string> = {
  payoff: 'Paid off. Thank you!',
  'payoff-processing': 'Your payment is processing; the schedule shows it in a moment.',
  'payoff-declined':
    'The card was declined and nothing more was charged. Set another card on the order, then try again.',
  'payoff-failed': 'The payoff could not be made right now. Try again shortly.',
  'payoff-disputed': 'That order is reported as unauthorized: its payments are paused until we decide.',
  card: 'The card was changed.',
  dispute: 'Reported. Payments on that order are paused while we look into it; we will write to you.',
  deleted: 'The card was deleted.',
  added: 'The card was saved.',
  '2fa-off': 'Two-factor authentication is off.',
  'agreement-revoked': 'The agreement is revoked: the merchant can charge you nothing more under it.',
};

export const viewOf = (request: PageRequest, extra: Partial<AccountView> = {}): AccountView => ({
  ctx: request.ctx,
  locale: request.locale,
  action: `${pathPrefix(request.ctx.event)}/account`,
  ...extra,
});

async function myOrders(request: PageRequest, sessionToken: string): Promise<MyOrder[]> {
  const { event } = request.ctx;
  const list = await invoke<{ data: Array<{ id: string }> }>(listMyOrders, event, {
    method: 'GET',
    resource: '/v1/me/orders',
    query: { limit: '10' },
    sessionToken,
  });
  if (list.error) return [];
  const orders = await Promise.all(
    list.json.data.map((o) =>
      invoke<MyOrder>(getMyOrder, event, {
        method: 'GET',
        resource: '/v1/me/orders/{id}',
        pathParameters: { id: o.id },
        sessionToken,
      }),
    ),
  );
  return orders.filter((o) => !o.error).map((o) => o.json);
}

/** The shopper's recurring agreements (the 20 newest). */
async function myAgreements(request: PageRequest, sessionToken: string): Promise<MyAgreement[]> {
  const list = await invoke<{ data: MyAgreement[] }>(listAgreements, request.ctx.event, {
    method: 'GET',
    resource: '/v1/me/agreements',
    query: { limit: '20' },
    sessionToken,
  });
  return list.error ? [] : list.json.data;
}

async function myDisputes(request: PageRequest, sessionToken: string): Promise<MyDispute[]> {
  const list = await invoke<{ data: MyDispute[] }>(listMyDisputesHandler, request.ctx.event, {
    method: 'GET',
    resource: '/v1/me/disputes',
    query: { limit: '10' },
    sessionToken,
  });
  return list.error ? [] : list.json.data;
}

/** The portal for the request's shopper, signed out when there is none. */
export async function renderAccount(
  request: PageRequest,
  extra: Partial<AccountView> = {},
  status = 200,
): Promise<APIGatewayProxyResult> {
  const view = viewOf(request, extra);
  const { ctx } = request;
  const shopper = await me(ctx.event, ctx.sessionToken);
  if (!shopper || !ctx.sessionToken) {
    const setCookies = ctx.sessionToken ? [sessionCookie(ctx, undefined)] : [];
    return htmlResponse(ctx, status, accountSignedOut(view), { setCookies });
  }
  const [orders, cards, disputes, agreements] = await Promise.all([
    myOrders(request, ctx.sessionToken),
    savedCards(ctx.event, ctx.sessionToken),
    myDisputes(request, ctx.sessionToken),
    myAgreements(request, ctx.sessionToken),
  ]);
  const home = accountHome(view, shopper, orders, cards, newIdempotencyKey, disputes, agreements);
  return htmlResponse(ctx, status, home);
}
