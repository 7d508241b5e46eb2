/**
 * The card form: it posts to the card function (`…/card`, `/account/cards`), the only page function
 * with the vault's grants, carrying the `add_card` step-up token verified one step before. The number
 * is never echoed back, not even after a refusal.
 */
import { type Html, html } from './html.ts';
import { alert, form, hidden, page } from './layout.ts';
import type { PageContext } from './web.ts';

export function cardFormPage(
  ctx: PageContext,
  locale: string,
  target: { action: string; back: string },
  stepUpToken: string,
  error?: string,
): Html {
  const fields = html`<fieldset><legend>Card</legend>
<label for="number">Card number</label><input id="number" type="text" name="number" inputmode="numeric" autocomplete="cc-number" required>
<div class="row"><div><label for="exp-month">Expiry month (MM)</label><input id="exp-month" type="text" name="expMonth" inputmode="numeric" autocomplete="cc-exp-month" maxlength="2" required></div>
<div><label for="exp-year">Expiry year (YYYY)</label><input id="exp-year" type="text" name="expYear" inputmode="numeric" autocomplete="cc-exp-year" maxlength="4" required></div>
<div><label for="cvc">Security code</label><input id="cvc" type="text" name="cvc" inputmode="numeric" autocomplete="cc-csc" maxlength="4" required></div></div></fieldset>
<button type="submit" id="save-card">Save card</button>`;
  return page(
    ctx,
    locale,
    'Add a card',
    html`${alert(error)}<p>Your card goes straight to the Tessera vault; the shop never sees its number.</p>
${form(ctx, target.action, 'add', fields, hidden('stepUpToken', stepUpToken))}<p><a href="${target.back}">Back</a></p>`,
  );
}

/** What a redirect's `?error=<code>` says: fixed texts by API error code, nothing echoed. */
const ERROR_TEXT: Record<string, string> = {
  step_up_invalid: 'That approval code is no longer valid. Please start again.',
  rate_limited: 'Too many attempts. Please wait a moment and try again.',
  too_many_requests: 'Too many attempts. Please wait a moment and try again.',
  sign_in_required: 'Please sign in again.',
  order_not_disputable: 'That order has nothing charged that could be reported.',
  resource_missing: 'That order or conversation was not found.',
  concurrent_update: 'Something changed at the same time. Please try again.',
};

export const errorText = (code: string | undefined): string | undefined =>
  code && /^[a-z_]{1,64}$/.test(code)
    ? (ERROR_TEXT[code] ?? 'That did not work. Please try again.')
    : undefined;
