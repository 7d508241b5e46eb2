/**
 * The portal's secure support channel: the shopper's conversations, one conversation's messages
 * (oldest first) with a reply form, and a form to open a new one. Every text shown is the API's,
 * already masked (card numbers, one-time codes) and escaped here like any other text.
 */
import { formatDate } from './format.ts';
import { type Html, html } from './html.ts';
import { alert, form, hidden, notice, page } from './layout.ts';
import type { PageContext } from './web.ts';

export interface SupportMessage {
  id: string;
  author: 'customer' | 'operator';
  text: string;
  createdAt: string;
}

export interface SupportConversation {
  id: string;
  subject: string;
  status: 'open' | 'closed';
  orderId?: string;
  messageCount: number;
  messages?: SupportMessage[];
  updatedAt: string;
}

export interface SupportView {
  ctx: PageContext;
  locale: string;
  /** `/account/support` (with the stage prefix in AWS). */
  action: string;
  /** `/account`. */
  back: string;
  error?: string;
  info?: string;
}

const NEVER_TYPE = 'Never type a card number or a one-time code here: we mask them if you do.';

function messages(view: SupportView, conversation: SupportConversation): Html {
  const rows = (conversation.messages ?? []).map(
    (m) =>
      html`<li data-testid="message-${m.id}"><strong>${m.author === 'operator' ? 'Tessera support' : 'You'}</strong> <span class="muted">${formatDate(m.createdAt.slice(0, 10), view.locale)}</span><br>${m.text}</li>`,
  );
  const reply =
    conversation.status === 'open'
      ? form(
          view.ctx,
          view.action,
          'reply',
          html`<label for="reply">Your reply</label><textarea id="reply" name="message" maxlength="1000" required></textarea><p class="muted">${NEVER_TYPE}</p><button type="submit">Send</button>`,
          hidden('conversation', conversation.id),
        )
      : html`<p class="muted">This conversation is closed. Open a new one if you need more help.</p>`;
  return html`<section data-testid="conversation-${conversation.id}"><h2>${conversation.subject}</h2><ol>${rows}</ol>${reply}</section>`;
}

function openForm(view: SupportView, orders: Array<{ id: string; merchantReference: string }>): Html {
  const orderSelect = orders.length
    ? html`<label for="order">About an order (optional)</label><select id="order" name="order"><option value="">No order</option>${orders.map((o) => html`<option value="${o.id}">${o.merchantReference}</option>`)}</select>`
    : '';
  return html`<h2>New conversation</h2>${form(
    view.ctx,
    view.action,
    'open',
    html`<label for="subject">Subject</label><input id="subject" type="text" name="subject" maxlength="200" required>${orderSelect}<label for="message">Message</label><textarea id="message" name="message" maxlength="1000" required></textarea><p class="muted">${NEVER_TYPE}</p><button type="submit">Send to support</button>`,
  )}`;
}

/** The support page: one conversation when `open` is given, the list, and the new-conversation form. */
export function supportPage(
  view: SupportView,
  list: SupportConversation[],
  orders: Array<{ id: string; merchantReference: string }>,
  open?: SupportConversation,
): Html {
  const rows = list.map(
    (c) =>
      html`<li><a href="${view.action}?c=${c.id}">${c.subject}</a> · ${c.status} · ${c.messageCount} message${c.messageCount === 1 ? '' : 's'}</li>`,
  );
  return page(
    view.ctx,
    view.locale,
    'Support',
    html`${alert(view.error)}${notice(view.info)}${open ? messages(view, open) : ''}
<h2>Your conversations</h2>${rows.length ? html`<ul>${rows}</ul>` : html`<p>No conversations yet.</p>`}
${openForm(view, orders)}<p><a href="${view.back}">Back to your account</a></p>`,
  );
}
