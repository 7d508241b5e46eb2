/**
 * Adding a card from a page: its own Lambda bundle with the vault's grants, so the card number posts
 * from the browser straight to the vault's handler (`POST /v1/me/cards`, called in-process) and never
 * enters the checkout or portal functions, the merchant, a log or any table but the vault.
 *
 * `do=start` sends the `add_card` step-up code and shows the card form; `do=add` checks the code and
 * saves the card. A refused card keeps the verified step-up (in the form) and never echoes the number.
 */
import type { APIGatewayProxyResult } from 'aws-lambda';
import { pathPrefix } from '../lib/public-origin.ts';
import { addCard } from '../vault/handler.ts';
import { type Html, html } from './html.ts';
import { invoke } from './invoke.ts';
import { alert, form, hidden, page } from './layout.ts';
import { type PageRequest, pageHandler } from './run.ts';
import { beginStepUp, type Challenge, finishStepUp } from './shopper.ts';
import { htmlResponse, redirect } from './web.ts';

const CLIENT_TOKEN = /^cs_[0-9A-HJKMNP-TV-Z]{26}_secret_[A-Za-z0-9_-]{32}$/;

const CHANNEL_TEXT: Record<string, string> = {
  totp: 'the code from your authenticator app',
  sms: 'the code we sent to your phone',
  email: 'the code we sent to your email',
};

function cardForm(
  request: PageRequest,
  action: string,
  proof: { challenge?: Challenge; stepUpToken?: string },
): Html {
  const { ctx } = request;
  const codeField = proof.challenge
    ? html`<label for="code">Enter ${CHANNEL_TEXT[proof.challenge.channel ?? ''] ?? 'your 6-digit code'}</label>
<input id="code" type="text" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" maxlength="6" required>`
    : '';
  return form(
    ctx,
    action,
    'add',
    html`${codeField}<fieldset><legend>Card</legend>
<label for="number">Card number</label><input id="number" type="text" name="number" inputmode="numeric" autocomplete="cc-number" required>
<div class="row"><div><label for="exp-month">Expiry month (MM)</label><input id="exp-month" type="text" name="expMonth" inputmode="numeric" autocomplete="cc-exp-month" maxlength="2" required></div>
<div><label for="exp-year">Expiry year (YYYY)</label><input id="exp-year" type="text" name="expYear" inputmode="numeric" autocomplete="cc-exp-year" maxlength="4" required></div>
<div><label for="cvc">Security code</label><input id="cvc" type="text" name="cvc" inputmode="numeric" autocomplete="cc-csc" maxlength="4" required></div></div></fieldset>
<button type="submit" id="save-card">Save card</button>`,
    html`${hidden('challengeId', proof.challenge?.challengeId)}${hidden('stepUpToken', proof.stepUpToken)}`,
  );
}

function cardPage(
  request: PageRequest,
  action: string,
  back: string,
  proof: { challenge?: Challenge; stepUpToken?: string },
  error?: string,
  status = 200,
): APIGatewayProxyResult {
  const body = html`${alert(error)}<p>Your card goes straight to the Tessera vault; the shop never sees its number.</p>${cardForm(request, action, proof)}<p><a href="${back}">Back</a></p>`;
  return htmlResponse(request.ctx, status, page(request.ctx, request.locale, 'Add a card', body));
}

/** The card fields as the vault's API takes them (digits only in the number; integers for dates). */
function cardBody(form: URLSearchParams) {
  const digits = (name: string) => (form.get(name) ?? '').replace(/[\s-]/g, '');
  const year = Number(digits('expYear'));
  return {
    number: digits('number'),
    expMonth: Number(digits('expMonth')),
    expYear: year > 0 && year < 100 ? 2000 + year : year,
    cvc: digits('cvc'),
  };
}

async function addCardStep(
  request: PageRequest,
  action: string,
  back: string,
): Promise<APIGatewayProxyResult> {
  const { ctx, form } = request;
  const sessionToken = ctx.sessionToken;
  if (!sessionToken) return redirect(ctx, back);
  if (form.get('do') === 'start') {
    const challenge = await beginStepUp(ctx.event, sessionToken, { action: 'add_card' });
    if ('refused' in challenge) return redirect(ctx, back);
    return cardPage(request, action, back, { challenge });
  }
  let stepUpToken = form.get('stepUpToken') ?? '';
  if (!stepUpToken) {
    const verified = await finishStepUp(ctx.event, sessionToken, form);
    const challenge = { challengeId: form.get('challengeId') ?? '' };
    if ('refused' in verified) return cardPage(request, action, back, { challenge }, verified.refused, 400);
    stepUpToken = verified.stepUpToken;
  }
  const saved = await invoke<{ token: string }>(addCard, ctx.event, {
    method: 'POST',
    resource: '/v1/me/cards',
    body: cardBody(form),
    sessionToken,
    headers: { 'step-up-token': stepUpToken },
  });
  if (saved.error) return cardPage(request, action, back, { stepUpToken }, saved.error.message, saved.status);
  return redirect(ctx, `${back}?card=${encodeURIComponent(saved.json.token)}`);
}

/** `POST /pay/{token}/card`: add a card during checkout, then back to the checkout. */
export const checkoutCard = pageHandler(async (request) => {
  const token = request.params.token ?? '';
  const prefix = pathPrefix(request.ctx.event);
  if (!CLIENT_TOKEN.test(token)) return redirect(request.ctx, `${prefix}/account`);
  const back = `${prefix}/pay/${token}`;
  return addCardStep(request, `${back}/card`, back);
});

/** `POST /account/cards`: add a card from the portal. */
export const accountCard = pageHandler(async (request) => {
  const back = `${pathPrefix(request.ctx.event)}/account`;
  return addCardStep(request, `${back}/cards`, back);
});
