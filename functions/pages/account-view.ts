/**
 * The shopper portal's pages: orders with their schedules (and a way to report one as unauthorized),
 * disputes with their outcome, saved cards, two-factor settings, and the way to support.
 */
import type { CurrencyCode } from '../lib/money.ts';
import { scheduleTable } from './checkout-view.ts';
import { formatAmount, formatDate } from './format.ts';
import { type Html, html } from './html.ts';
import { alert, form, hidden, notice, page, signInForms } from './layout.ts';
import type { SavedCard } from './shopper.ts';
import type { PageContext } from './web.ts';

export interface MyOrder {
  id: string;
  status: string;
  merchantReference: string;
  amount: number;
  currency: CurrencyCode;
  plan: { id: string; termMonths?: number };
  card: { brand: string; last4: string };
  paidAmount: number;
  outstandingAmount: number;
  nextPayment?: { amount: number; dueDate: string } | null;
  installments: Array<{ seq: number; dueDate: string; amount: number; interest: number; status: string }>;
  disputed?: boolean;
}

/** A dispute as `GET /v1/me/disputes` shows it to its shopper. */
export interface MyDispute {
  id: string;
  orderId: string;
  merchantReference: string;
  reason: string;
  status: string;
  amount: number;
  currency: CurrencyCode;
  resolution?: { outcome: string; note: string; creditedAmount: number; cancelledAmount: number };
  createdAt: string;
}

export interface AccountView {
  ctx: PageContext;
  locale: string;
  /** `/account` (with the stage prefix in AWS). */
  action: string;
  error?: string;
  info?: string;
}

const PAYABLE = new Set(['captured', 'in_arrears']);
/** Orders with money captured: the API decides (409/422 otherwise); these are the ones worth offering. */
const DISPUTABLE = new Set(['captured', 'in_arrears', 'paid_off', 'partially_refunded']);

/** The reasons `POST /v1/me/disputes` takes, in the shopper's words. */
export const DISPUTE_REASON_TEXT: Record<string, string> = {
  unauthorized: 'I did not make this purchase',
  card_lost_or_stolen: 'My card was lost or stolen',
  account_takeover: 'Someone else used my account',
  not_recognized: 'I do not recognize this purchase',
};

const DISPUTE_STATUS_TEXT: Record<string, string> = {
  under_review: 'Under review: payments on this order are paused',
  won: 'Closed: the charge was found to be yours, and payments resumed',
  lost: 'Closed in your favour: you owe nothing for this order',
};

/** "Report this charge": a dispute pauses the order's payments at once (Regulation E). */
function disputeForm(view: AccountView, order: MyOrder): Html | string {
  if (order.disputed || !DISPUTABLE.has(order.status)) return '';
  const options = Object.entries(DISPUTE_REASON_TEXT).map(
    ([value, label]) => html`<option value="${value}">${label}</option>`,
  );
  return html`<details><summary>Report this charge as unauthorized</summary>${form(
    view.ctx,
    view.action,
    'dispute',
    html`<label for="reason-${order.id}">What happened?</label><select id="reason-${order.id}" name="reason">${options}</select><p class="muted">Payments on this order pause while we look into it. If it was not you, you owe nothing.</p><button type="submit" class="secondary">Report</button>`,
    hidden('order', order.id),
  )}</details>`;
}

function disputesSection(view: AccountView, disputes: MyDispute[]): Html | string {
  if (disputes.length === 0) return '';
  const rows = disputes.map((d) => {
    const money = (v: number) => formatAmount(v, d.currency, view.locale);
    const credited =
      d.resolution && d.resolution.creditedAmount > 0
        ? html` · ${money(d.resolution.creditedAmount)} back to your card`
        : '';
    return html`<li data-testid="dispute-${d.id}">${d.merchantReference} · ${money(d.amount)} · reported ${formatDate(d.createdAt.slice(0, 10), view.locale)}: <strong>${DISPUTE_STATUS_TEXT[d.status] ?? d.status}</strong>${credited}${d.resolution?.note ? html`<br><span class="muted">${d.resolution.note}</span>` : ''}</li>`;
  });
  return html`<h2>Your disputes</h2><ul>${rows}</ul>`;
}

function orderSection(view: AccountView, order: MyOrder, cards: SavedCard[], idempotencyKey: string): Html {
  const money = (v: number) => formatAmount(v, order.currency, view.locale);
  const next = order.nextPayment
    ? html`<p>Next payment: <strong>${money(order.nextPayment.amount)}</strong> on ${formatDate(order.nextPayment.dueDate, view.locale)}</p>`
    : '';
  // A disputed order's payments are paused (the API answers 422 order_disputed): no payoff, no card change.
  const payable = PAYABLE.has(order.status) && !order.disputed;
  const payoff =
    payable && order.outstandingAmount > 0
      ? form(
          view.ctx,
          `${view.action}/payoff`,
          'payoff',
          html`<button type="submit">Pay off ${money(order.outstandingAmount)} now</button>`,
          html`${hidden('order', order.id)}${hidden('key', idempotencyKey)}`,
        )
      : '';
  const otherCards = cards.filter((c) => c.last4 !== order.card.last4 || c.brand !== order.card.brand);
  const change =
    payable && otherCards.length > 0
      ? form(
          view.ctx,
          `${view.action}/cards`,
          'change-card',
          html`<label for="card-${order.id}">Pay this order with</label><select id="card-${order.id}" name="card">${otherCards.map((c) => html`<option value="${c.token}">${c.brand} ending ${c.last4}</option>`)}</select><button type="submit" class="secondary">Change card</button>`,
          hidden('order', order.id),
        )
      : '';
  return html`<section data-testid="order-${order.id}" aria-labelledby="h-${order.id}"><h3 id="h-${order.id}">${order.merchantReference} · ${money(order.amount)}</h3>
<p>Status: ${order.status.replace(/_/g, ' ')} · paid ${money(order.paidAmount)} · still owed ${money(order.outstandingAmount)} · ${order.card.brand} ending ${order.card.last4}</p>
${order.disputed ? html`<p class="muted">Reported as unauthorized: its payments are paused while we look into it.</p>` : ''}${next}${scheduleTable(order.installments, order.currency, view.locale, `Schedule of ${order.merchantReference}`)}${payoff}${change}${disputeForm(view, order)}</section>`;
}

function cardsSection(view: AccountView, cards: SavedCard[]): Html {
  const rows = cards.map(
    (c) =>
      html`<li>${c.brand} ending ${c.last4} (expires ${String(c.expMonth).padStart(2, '0')}/${c.expYear}) ${form(view.ctx, `${view.action}/cards`, 'delete-card', html`<button type="submit" class="secondary" aria-label="Delete ${c.brand} ending ${c.last4}">Delete</button>`, hidden('card', c.token))}</li>`,
  );
  return html`<h2>Saved cards</h2>${cards.length ? html`<ul>${rows}</ul>` : html`<p>No saved cards.</p>`}
${form(view.ctx, view.action, 'add-card', html`<button type="submit" class="secondary">Add a card</button>`)}`;
}

function twoFactorSection(view: AccountView, enabled: boolean): Html {
  const stepUp = (action: string, label: string) =>
    form(
      view.ctx,
      view.action,
      'step-up',
      html`<button type="submit" class="secondary">${label}</button>`,
      hidden('action', action),
    );
  return html`<h2>Two-factor authentication</h2>
<p>Authenticator app: <strong>${enabled ? 'on' : 'off'}</strong></p>
<div class="row">${enabled ? html`${stepUp('regenerate_recovery_codes', 'New recovery codes')}${stepUp('disable_2fa', 'Turn off')}` : stepUp('enable_2fa', 'Turn on authenticator app')}</div>`;
}

/** A recurring agreement with a merchant, as the portal lists it. */
export interface MyAgreement {
  id: string;
  status: string;
  purpose: string;
  maxAmount: number;
  currency: CurrencyCode;
  cadence: string;
  card: { brand: string; last4: string };
}

const CADENCE: Record<string, string> = {
  on_demand: 'when needed',
  weekly: 'weekly',
  monthly: 'monthly',
  yearly: 'yearly',
};

/** The shopper's recurring agreements, each active one with its Revoke button. */
function agreementsSection(view: AccountView, agreements: MyAgreement[]): Html | string {
  if (agreements.length === 0) return '';
  const rows = agreements.map((a) => {
    const max = formatAmount(a.maxAmount, a.currency, view.locale);
    const revoke =
      a.status === 'active'
        ? form(
            view.ctx,
            view.action,
            'revoke-agreement',
            html`<button type="submit" class="secondary" aria-label="Revoke ${a.purpose}">Revoke</button>`,
            hidden('agreement', a.id),
          )
        : html`<strong>revoked</strong>`;
    return html`<li data-testid="agreement-${a.id}">${a.purpose}: up to ${max} per charge, ${CADENCE[a.cadence] ?? a.cadence}, ${a.card.brand} ending ${a.card.last4} ${revoke}</li>`;
  });
  return html`<h2>Recurring payments</h2><p class="muted">Merchants you allowed to charge you without you present. Revoking stops every future charge at once.</p><ul>${rows}</ul>`;
}

export function accountSignedOut(view: AccountView): Html {
  return page(
    view.ctx,
    view.locale,
    'Your Tessera account',
    html`${alert(view.error)}${notice(view.info)}${signInForms(view.ctx, view.action)}`,
  );
}

export function accountHome(
  view: AccountView,
  shopper: { email: string; twoFactorEnabled?: boolean },
  orders: MyOrder[],
  cards: SavedCard[],
  idempotencyKey: () => string,
  disputes: MyDispute[] = [],
  agreements: MyAgreement[] = [],
): Html {
  return page(
    view.ctx,
    view.locale,
    'Your Tessera account',
    html`${alert(view.error)}${notice(view.info)}<p class="muted">Signed in as ${shopper.email}</p>
<h2>Your orders</h2>${orders.length ? orders.map((o) => orderSection(view, o, cards, idempotencyKey())) : html`<p>No orders yet.</p>`}
${disputesSection(view, disputes)}${agreementsSection(view, agreements)}${cardsSection(view, cards)}${twoFactorSection(view, shopper.twoFactorEnabled === true)}
<h2>Help</h2><p><a href="${view.action}/support">Write to Tessera support</a>: a secure conversation, only after sign-in. Never type a card number or a code; if you do, we mask it.</p>
${form(view.ctx, view.action, 'sign-out', html`<button type="submit" class="secondary">Sign out</button>`)}`,
  );
}

/** A one-off page of the portal (a code to enter, a secret to add, recovery codes to keep). */
export function accountStep(view: AccountView, title: string, body: Html): Html {
  return page(
    view.ctx,
    view.locale,
    title,
    html`${alert(view.error)}${body}<p><a href="${view.action}">Back to your account</a></p>`,
  );
}

export function recoveryCodesPage(view: AccountView, codes: string[]): Html {
  return accountStep(
    view,
    'Your recovery codes',
    html`<p>Keep these codes somewhere safe. Each works once, and they are shown only now.</p><ul data-testid="recovery-codes">${codes.map((c) => html`<li><code>${c}</code></li>`)}</ul>`,
  );
}

export function totpSetupPage(view: AccountView, secret: string, otpauthUri: string): Html {
  return accountStep(
    view,
    'Add Tessera to your authenticator app',
    html`<p>Enter this key in your authenticator app (or open the link on your phone):</p><p><code data-testid="totp-secret">${secret}</code></p><p><a href="${otpauthUri}">Open in authenticator app</a></p>
${form(view.ctx, view.action, 'confirm-totp', html`<label for="totp-code">Code from the app</label><input id="totp-code" type="text" name="code" inputmode="numeric" autocomplete="one-time-code" maxlength="6" required><button type="submit">Turn on</button>`)}`,
  );
}
