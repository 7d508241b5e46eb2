/**
 * `GET /outbox` (local sandbox only, never deployed): the signed-in shopper's messages that the
 * local Notifier would have sent, so a person trying the hosted pages can read their one-time codes.
 * It is the API's `GET /v1/me/outbox` (itself 404 outside the sandbox), shown as a page.
 */
import { getOutbox } from '../customers/outbox-handler.ts';
import { formatDate } from './format.ts';
import { html } from './html.ts';
import { invoke } from './invoke.ts';
import { page } from './layout.ts';
import { pageHandler } from './run.ts';
import { htmlResponse } from './web.ts';

interface Message {
  subject?: string;
  text: string;
  createdAt?: string;
}

export const showOutbox = pageHandler(async ({ ctx, locale }) => {
  const answer = ctx.sessionToken
    ? await invoke<{ data: Message[] }>(getOutbox, ctx.event, {
        method: 'GET',
        resource: '/v1/me/outbox',
        sessionToken: ctx.sessionToken,
      })
    : undefined;
  const messages = answer && !answer.error ? answer.json.data : [];
  const body = answer?.error
    ? html`<p>Sign in first (on the checkout or at /account); the outbox exists in the local sandbox only.</p>`
    : html`<p>Sandbox only: the messages Tessera would have sent you by SMS or email, newest first.</p>
<ul>${messages.map((m) => html`<li>${m.createdAt ? html`<span class="muted">${formatDate(m.createdAt, locale)}</span> ` : ''}${m.subject ?? ''} <strong>${m.text}</strong></li>`)}</ul>`;
  return htmlResponse(ctx, answer?.error ? 404 : 200, page(ctx, locale, 'Sandbox outbox', body));
});
