/**
 * `GET /outbox` (local sandbox only, never deployed): the messages that the local Notifier would
 * have sent, so a person trying the hosted pages can read their one-time codes. Two views:
 * - signed in: the shopper's messages, as the API's `GET /v1/me/outbox` (itself 404 outside the
 *   sandbox) answers them;
 * - `?challenge=<challengeId>`, signed out: only the codes sent for that pending sign-in (by SMS or
 *   email, `reference` = the challenge), so a shopper whose second factor is a code can finish
 *   signing in from the same browser. The challenge id is handed out only after the password passed.
 */

import { getOutbox } from '../customers/outbox-handler.ts';
import { config } from '../lib/config.ts';
import { listOutbox } from '../lib/notifier.ts';
import { pendingSignInOwner } from '../twofa/gate.ts';
import { formatDate } from './format.ts';
import { type Html, html } from './html.ts';
import { invoke } from './invoke.ts';
import { page } from './layout.ts';
import { pageHandler } from './run.ts';
import { htmlResponse, type PageContext } from './web.ts';

interface Message {
  subject?: string;
  text: string;
  createdAt?: string;
}

const list = (messages: Message[], locale: string) =>
  html`<ul>${messages.map((m) => html`<li>${m.createdAt ? html`<span class="muted">${formatDate(m.createdAt, locale)}</span> ` : ''}${m.subject ?? ''} <strong>${m.text}</strong></li>`)}</ul>`;

/** The codes sent for one pending sign-in; undefined when the challenge is not an open sign-in. */
async function signInCodes(challengeId: string): Promise<Message[] | undefined> {
  if (!config().isLocal) return undefined;
  const owner = await pendingSignInOwner(challengeId);
  if (!owner) return undefined;
  return (await listOutbox(owner)).filter((m) => m.reference === challengeId);
}

async function shopperMessages(ctx: PageContext) {
  const answer = ctx.sessionToken
    ? await invoke<{ data: Message[] }>(getOutbox, ctx.event, {
        method: 'GET',
        resource: '/v1/me/outbox',
        sessionToken: ctx.sessionToken,
      })
    : undefined;
  return answer && !answer.error ? answer.json.data : undefined;
}

export const showOutbox = pageHandler(async ({ ctx, locale, query }) => {
  let body: Html;
  let status = 200;
  const challenge = query.challenge?.trim();
  if (challenge) {
    const codes = await signInCodes(challenge);
    if (codes) {
      body = html`<p>Sandbox only: the codes sent for this sign-in, newest first.</p>${list(codes, locale)}`;
    } else {
      status = 404;
      body = html`<p>This sign-in is over (used, expired or out of attempts); start it again.</p>`;
    }
  } else {
    const messages = await shopperMessages(ctx);
    if (messages) {
      body = html`<p>Sandbox only: the messages Tessera would have sent you by SMS or email, newest first.</p>${list(messages, locale)}`;
    } else {
      status = 404;
      body = html`<p>Sign in first (on the checkout or at /account); the outbox exists in the local sandbox only.</p>`;
    }
  }
  return htmlResponse(ctx, status, page(ctx, locale, 'Sandbox outbox', body));
});
