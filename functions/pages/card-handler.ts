/**
 * Saving a card from a page: its own Lambda function with the vault route's grants, so the card
 * number posts from the browser straight to the vault's handler (`POST /v1/me/cards`, called
 * in-process) and never enters another page function, the merchant, a log or any table but the
 * vault. The `add_card` step-up was verified one page before (by a function that may notify); its
 * token rides in the form. The portal's card changes (delete, move an order) are here too: they read
 * or write the vault.
 */
import type { APIGatewayProxyResult } from 'aws-lambda';
import { pathPrefix } from '../lib/public-origin.ts';
import { changeMyOrderCard } from '../orders/me-card-handler.ts';
import { addCard } from '../vault/handler.ts';
import { renderAccount } from './account-page.ts';
import { cardFormPage } from './card-view.ts';
import { invoke } from './invoke.ts';
import { type PageRequest, pageHandler } from './run.ts';
import { removeCard } from './shopper.ts';
import { htmlResponse, redirect } from './web.ts';

const CLIENT_TOKEN = /^cs_[0-9A-HJKMNP-TV-Z]{26}_secret_[A-Za-z0-9_-]{32}$/;

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

async function saveCard(request: PageRequest, action: string, back: string): Promise<APIGatewayProxyResult> {
  const { ctx, form, locale } = request;
  const stepUpToken = form.get('stepUpToken') ?? '';
  if (!ctx.sessionToken || !stepUpToken) return redirect(ctx, back);
  const saved = await invoke<{ token: string }>(addCard, ctx.event, {
    method: 'POST',
    resource: '/v1/me/cards',
    body: cardBody(form),
    sessionToken: ctx.sessionToken,
    headers: { 'step-up-token': stepUpToken },
  });
  if (saved.error) {
    const again = cardFormPage(ctx, locale, { action, back }, stepUpToken, saved.error.message);
    return htmlResponse(ctx, saved.status, again);
  }
  return redirect(ctx, `${back}?card=${encodeURIComponent(saved.json.token)}`);
}

/** `POST /pay/{token}/card`: save a card during checkout, then back to the checkout. */
export const checkoutCard = pageHandler(async (request) => {
  const token = request.params.token ?? '';
  const prefix = pathPrefix(request.ctx.event);
  if (!CLIENT_TOKEN.test(token)) return redirect(request.ctx, `${prefix}/account`);
  const back = `${prefix}/pay/${token}`;
  return saveCard(request, `${back}/card`, back);
});

/** `POST /account/cards`: save a card, delete one, or move an order to another card. */
export const accountCard = pageHandler(async (request) => {
  const { ctx, form } = request;
  const back = `${pathPrefix(ctx.event)}/account`;
  const sessionToken = ctx.sessionToken;
  if (!sessionToken) return redirect(ctx, back);
  const step = form.get('do');
  if (step === 'add') return saveCard(request, `${back}/cards`, back);
  const answer =
    step === 'delete-card'
      ? await removeCard(ctx.event, sessionToken, form.get('card') ?? '')
      : await invoke(changeMyOrderCard, ctx.event, {
          method: 'PUT',
          resource: '/v1/me/orders/{id}/card',
          pathParameters: { id: form.get('order') ?? '' },
          body: { cardToken: form.get('card') ?? '' },
          sessionToken,
        });
  if (answer.error) return renderAccount(request, { error: answer.error.message }, answer.status);
  return redirect(ctx, `${back}?done=${step === 'delete-card' ? 'deleted' : 'card'}`);
});
