/** The hosted checkout's pages: the offer with its schedules and disclosures, and the end states. */
import type { HostedOffer, HostedSession } from '../checkout/approval.ts';
import type { CurrencyCode } from '../lib/money.ts';
import { formatAmount, formatApr, formatDate } from './format.ts';
import { type Html, html } from './html.ts';
import { alert, form, hidden, notice, page, signInForms } from './layout.ts';
import type { SavedCard } from './shopper.ts';
import type { PageContext } from './web.ts';

export interface CheckoutView {
  ctx: PageContext;
  locale: string;
  session: HostedSession;
  merchantName: string;
  /** `/pay/<client secret>` (with the stage prefix in AWS). */
  action: string;
  /** The session's client secret (from the page's path). */
  clientToken: string;
  error?: string;
  info?: string;
}

const PLAN_NAMES: Record<string, string> = {
  pay_in_4: 'Pay in 4',
  pay_in_30: 'Pay in 30 days',
  monthly: 'Monthly',
};

/** The value of an offer's radio button: the plan, and the term for monthly (`monthly:6`). */
export const offerValue = (offer: HostedOffer) =>
  offer.termMonths === undefined ? offer.plan : `${offer.plan}:${offer.termMonths}`;

export function offerName(offer: HostedOffer): string {
  const name = PLAN_NAMES[offer.plan] ?? offer.plan;
  return offer.termMonths === undefined ? name : `${name}, ${offer.termMonths} months`;
}

/** The Truth in Lending box of a monthly offer (Reg Z §1026.18): APR, finance charge, totals. */
function disclosure(offer: HostedOffer, currency: CurrencyCode, locale: string): Html | string {
  if (offer.plan !== 'monthly') return '';
  const d = offer.schedule.disclosure;
  const money = (v: number) => formatAmount(v, currency, locale);
  return html`<dl class="disclosure" data-testid="disclosure-${offerValue(offer)}">
<dt>Annual percentage rate (APR)</dt><dd data-field="apr">${formatApr(d.apr, locale)}</dd>
<dt>Finance charge</dt><dd data-field="financeCharge">${money(d.financeCharge)}</dd>
<dt>Amount financed</dt><dd data-field="amountFinanced">${money(d.amountFinanced)}</dd>
<dt>Total of payments</dt><dd data-field="totalOfPayments">${money(d.totalOfPayments)}</dd></dl>`;
}

/** Every installment of an offer: number, date, amount (and interest on monthly plans). */
export function scheduleTable(
  rows: ReadonlyArray<{ seq: number; dueDate: string; amount: number; interest?: number; status?: string }>,
  currency: CurrencyCode,
  locale: string,
  caption: string,
): Html {
  const withInterest = rows.some((r) => (r.interest ?? 0) > 0);
  const withStatus = rows.some((r) => r.status !== undefined);
  return html`<table><caption class="muted">${caption}</caption><thead><tr><th scope="col">#</th><th scope="col">Due</th><th scope="col" class="num">Amount</th>${withInterest ? html`<th scope="col" class="num">of which interest</th>` : ''}${withStatus ? html`<th scope="col">Status</th>` : ''}</tr></thead><tbody>${rows.map(
    (r) =>
      html`<tr><td>${r.seq}</td><td>${formatDate(r.dueDate, locale)}</td><td class="num">${formatAmount(r.amount, currency, locale)}</td>${withInterest ? html`<td class="num">${formatAmount(r.interest ?? 0, currency, locale)}</td>` : ''}${withStatus ? html`<td data-status="${r.status ?? ''}">${r.status ?? ''}</td>` : ''}</tr>`,
  )}</tbody></table>`;
}

function offerRow(view: CheckoutView, offer: HostedOffer, index: number): Html {
  const { currency } = view.session;
  const id = `offer-${index}`;
  const first = offer.schedule.installments[0];
  const count = offer.schedule.installments.length;
  const summary = first
    ? `${count} payment${count === 1 ? '' : 's'}, first ${formatAmount(first.amount, currency, view.locale)} on ${formatDate(first.dueDate, view.locale)}`
    : '';
  return html`<div class="offer"><div class="choice"><input type="radio" id="${id}" name="plan" value="${offerValue(offer)}" ${index === 0 ? html`checked` : ''} aria-describedby="${id}-summary">
<label for="${id}">${offerName(offer)}</label></div><p id="${id}-summary" class="muted">${summary}</p>
${disclosure(offer, currency, view.locale)}
<details><summary>Full schedule: ${offerName(offer)}</summary>${scheduleTable(offer.schedule.installments, currency, view.locale, `Payments for ${offerName(offer)} (if the merchant ships today)`)}</details></div>`;
}

function cardChoices(cards: SavedCard[], selected: string | undefined): Html {
  if (cards.length === 0) return html`<p>No saved card yet: add one below.</p>`;
  const chosen = cards.some((c) => c.token === selected) ? selected : cards[0]?.token;
  return html`${cards.map(
    (card, i) =>
      html`<div class="choice"><input type="radio" id="card-${i}" name="card" value="${card.token}" ${card.token === chosen ? html`checked` : ''}>
<label for="card-${i}">${card.brand} ending ${card.last4} (expires ${String(card.expMonth).padStart(2, '0')}/${card.expYear})</label></div>`,
  )}`;
}

const CADENCE_TEXT: Record<string, string> = {
  on_demand: 'when needed',
  weekly: 'once a week',
  monthly: 'once a month',
  yearly: 'once a year',
};

/**
 * The merchant's request for a recurring agreement, as the shopper consents to it (an unticked box:
 * consent is never the default): purpose, the most per charge, the cadence, and that it can be
 * revoked. Card-network rules for stored credentials ask for exactly these terms.
 */
function agreementConsent(view: CheckoutView): Html | string {
  const { agreement, agreementApproved, currency } = view.session;
  if (!agreement || agreementApproved) return '';
  const max = formatAmount(agreement.maxAmount, currency, view.locale);
  return html`<fieldset data-testid="agreement"><legend>Recurring payments</legend><div class="choice"><input type="checkbox" id="agreement" name="agreement" value="accept">
<label for="agreement">Also allow ${view.merchantName} to charge this card ${CADENCE_TEXT[agreement.cadence] ?? agreement.cadence}, up to ${max} per charge, for: ${agreement.purpose}</label></div>
<p class="muted">You can revoke this at any time in your Tessera account; each charge is shown there.</p></fieldset>`;
}

function header(view: CheckoutView): Html {
  const { session } = view;
  return html`<p class="muted">Pay <strong>${view.merchantName}</strong> later with Tessera · order ${session.merchantReference}</p>
<p class="amount" data-testid="amount">${formatAmount(session.amount, session.currency, view.locale)}</p>
${alert(view.error)}${notice(view.info)}`;
}

const cancelLink = (session: HostedSession) =>
  session.cancelUrl
    ? html`<a class="button secondary" href="${session.cancelUrl}" id="cancel">Cancel and return to the shop</a>`
    : '';

/** Signed out: what is on offer, then sign in or register. */
export function checkoutSignedOut(view: CheckoutView): Html {
  const plans = [...new Set(view.session.offers.map((o) => PLAN_NAMES[o.plan] ?? o.plan))].join(', ');
  return page(
    view.ctx,
    view.locale,
    `Pay ${view.merchantName}`,
    html`${header(view)}<p>Plans: ${plans}. Sign in or create an account to choose.</p>
${signInForms(view.ctx, view.action)}<p>${cancelLink(view.session)}</p>`,
  );
}

/** Signed in: choose a plan and a card, approve; add a card; sign out; cancel. */
export function checkoutSignedIn(
  view: CheckoutView,
  shopper: { email: string },
  cards: SavedCard[],
  selectedCard: string | undefined,
): Html {
  const { session } = view;
  const stepUp = session.stepUpRequired
    ? html`<p class="muted">This amount needs a one-time code before approval.</p>`
    : '';
  return page(
    view.ctx,
    view.locale,
    `Pay ${view.merchantName}`,
    html`${header(view)}<p class="muted">Signed in as ${shopper.email}</p>
${form(
  view.ctx,
  // Above the threshold the approval starts with a step-up code (a function that may notify).
  session.stepUpRequired ? view.action : `${view.action}/approve`,
  'approve',
  html`<fieldset><legend>Choose how to pay</legend>${session.offers.map((o, i) => offerRow(view, o, i))}</fieldset>
<fieldset><legend>Pay with</legend>${cardChoices(cards, selectedCard)}</fieldset>${agreementConsent(view)}${stepUp}
${cards.length > 0 ? html`<button type="submit" id="approve">Approve</button>` : ''}`,
)}
${form(view.ctx, view.action, 'add-card', html`<button type="submit" class="secondary" id="add-card">Add a card</button>`)}
${form(view.ctx, view.action, 'sign-out', html`<button type="submit" class="secondary">Sign out</button>`)}
<p>${cancelLink(session)}</p>`,
  );
}

/** An expired or completed session: said plainly, with the way back to the shop. */
export function checkoutOver(view: CheckoutView): Html {
  const expired = view.session.state === 'expired';
  const title = expired ? 'This checkout has expired' : 'This checkout is already complete';
  const text = expired
    ? 'The time to approve this purchase has run out. Return to the shop to start again.'
    : 'This purchase has already been approved and turned into an order. Nothing else is needed here.';
  return page(
    view.ctx,
    view.locale,
    title,
    html`<p>${text}</p>${view.session.cancelUrl ? html`<p><a class="button" href="${view.session.cancelUrl}">Return to the shop</a></p>` : ''}`,
  );
}

/** Approved, for a session without a successUrl (and what became of the agreement asked for). */
export function checkoutApproved(view: CheckoutView): Html {
  return page(
    view.ctx,
    view.locale,
    'Approved',
    html`${alert(view.error)}${notice(view.info)}<p>You approved this purchase. You can close this page.</p>`,
  );
}

/** The step-up before approval: the code, with the plan and card riding along. */
export function checkoutStepUp(view: CheckoutView, codeFormHtml: Html): Html {
  return page(
    view.ctx,
    view.locale,
    'Confirm it is you',
    html`${header(view)}<p>Approving ${formatAmount(view.session.amount, view.session.currency, view.locale)} to ${view.merchantName} needs a one-time code.</p>${codeFormHtml}<p><a href="${view.action}">Back</a></p>`,
  );
}

/** After the step-up code: the approval itself, with the verified step-up token. */
export function checkoutConfirm(view: CheckoutView, carry: Html, stepUpToken: string): Html {
  const amount = formatAmount(view.session.amount, view.session.currency, view.locale);
  return page(
    view.ctx,
    view.locale,
    'Confirm your approval',
    html`${header(view)}<p>Code accepted. Approve ${amount} to ${view.merchantName}?</p>
${form(view.ctx, `${view.action}/approve`, 'approve', html`<button type="submit" id="approve">Approve</button>`, html`${carry}${hidden('stepUpToken', stepUpToken)}`)}
<p><a href="${view.action}">Back</a></p>`,
  );
}

export const carryChoice = (plan: string, card: string, agreement?: string | null) =>
  html`${hidden('plan', plan)}${hidden('card', card)}${agreement === 'accept' ? hidden('agreement', 'accept') : ''}`;

/** No session behind this address (or not its secret): one page for both. */
export function checkoutNotFound(ctx: PageContext, locale: string): Html {
  return page(
    ctx,
    locale,
    'Checkout not found',
    html`<p>This checkout link is not valid. Return to the shop and try again.</p>`,
  );
}
