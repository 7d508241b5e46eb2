/**
 * `/account/support`, the secure support channel in the portal (issue 12): `GET` lists the signed-in
 * shopper's conversations and shows one (`?c=<id>`); `POST` opens a conversation or replies, through
 * the API's own support handlers (masking, encryption at rest and every check apply unchanged).
 * Its own function: it holds the secrets key's grants the support routes need, and no vault grant.
 * Signed out, it sends the shopper to `/account` to sign in.
 */
import type { APIGatewayProxyResult } from 'aws-lambda';
import { isId } from '../lib/ids.ts';
import { pathPrefix } from '../lib/public-origin.ts';
import { listMyOrders } from '../orders/me-handler.ts';
import {
  getMyConversation,
  listMyConversations,
  openMyConversation,
  postMyMessage,
} from '../support/handler.ts';
import { errorText } from './card-view.ts';
import { invoke } from './invoke.ts';
import { type PageRequest, pageHandler } from './run.ts';
import { me } from './shopper.ts';
import { type SupportConversation, type SupportView, supportPage } from './support-view.ts';
import { htmlResponse, redirect } from './web.ts';

const isConversation = (id: string | undefined): id is string => id !== undefined && isId('conversation', id);

function viewOf(request: PageRequest, extra: Partial<SupportView> = {}): SupportView {
  const prefix = pathPrefix(request.ctx.event);
  return {
    ctx: request.ctx,
    locale: request.locale,
    action: `${prefix}/account/support`,
    back: `${prefix}/account`,
    ...extra,
  };
}

async function render(request: PageRequest, sessionToken: string): Promise<APIGatewayProxyResult> {
  const { ctx, query } = request;
  const message = errorText(query.error);
  const view = viewOf(request, {
    ...(query.done === 'sent' ? { info: 'Sent. We answer within one business day.' } : {}),
    ...(message ? { error: message } : {}),
  });
  const wanted = isConversation(query.c) ? query.c : undefined;
  const [list, orders, one] = await Promise.all([
    invoke<{ data: SupportConversation[] }>(listMyConversations, ctx.event, {
      method: 'GET',
      resource: '/v1/me/support/conversations',
      query: { limit: '20' },
      sessionToken,
    }),
    invoke<{ data: Array<{ id: string; merchantReference: string }> }>(listMyOrders, ctx.event, {
      method: 'GET',
      resource: '/v1/me/orders',
      query: { limit: '10' },
      sessionToken,
    }),
    wanted
      ? invoke<SupportConversation>(getMyConversation, ctx.event, {
          method: 'GET',
          resource: '/v1/me/support/conversations/{id}',
          pathParameters: { id: wanted },
          sessionToken,
        })
      : undefined,
  ]);
  const page = supportPage(
    one?.error ? { ...view, error: errorText(one.error.code) } : view,
    list.error ? [] : list.json.data,
    orders.error ? [] : orders.json.data,
    one && !one.error ? one.json : undefined,
  );
  return htmlResponse(ctx, one?.error ? 404 : 200, page);
}

export const showSupport = pageHandler(async (request) => {
  const { ctx } = request;
  if (!ctx.sessionToken || !(await me(ctx.event, ctx.sessionToken))) {
    return redirect(ctx, viewOf(request).back);
  }
  return render(request, ctx.sessionToken);
});

export const supportAction = pageHandler(async (request) => {
  const { ctx, form } = request;
  const view = viewOf(request);
  if (!ctx.sessionToken || !(await me(ctx.event, ctx.sessionToken))) return redirect(ctx, view.back);
  const sessionToken = ctx.sessionToken;
  const text = form.get('message') ?? '';
  if (form.get('do') === 'reply') {
    const id = form.get('conversation') ?? '';
    const posted = await invoke(postMyMessage, ctx.event, {
      method: 'POST',
      resource: '/v1/me/support/conversations/{id}/messages',
      pathParameters: { id },
      body: { message: text },
      sessionToken,
    });
    const c = isConversation(id) ? `c=${id}&` : '';
    return redirect(ctx, `${view.action}?${c}${posted.error ? `error=${posted.error.code}` : 'done=sent'}`);
  }
  if (form.get('do') !== 'open') return redirect(ctx, `${view.action}?error=unknown_action`);
  const order = form.get('order');
  const opened = await invoke<{ id: string }>(openMyConversation, ctx.event, {
    method: 'POST',
    resource: '/v1/me/support/conversations',
    body: { subject: form.get('subject') ?? '', message: text, ...(order ? { orderId: order } : {}) },
    sessionToken,
  });
  if (opened.error) return redirect(ctx, `${view.action}?error=${opened.error.code}`);
  return redirect(ctx, `${view.action}?c=${opened.json.id}&done=sent`);
});
