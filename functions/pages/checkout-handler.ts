/**
 * The hosted checkout. `token` is the session's client secret. Its functions split by grant, since a
 * function that reads the vault runs in the cardholder data environment and may not notify:
 * - `GET /pay/{token}` (reads the vault: saved cards): the offer, signed out or in;
 * - `POST /pay/{token}` (may notify): sign-in, registration, sign-out, and the step-up codes (before
 *   approving above the threshold, before adding a card); it never reads the vault;
 * - `POST /pay/{token}/approve` (checkout-approve-handler.ts) and `/card` (card-handler.ts).
 * Redirects go only to this page or to the session's own successUrl / cancelUrl.
 */
import type { APIGatewayProxyResult } from 'aws-lambda';
import { type HostedSession, hostedSession } from '../checkout/approval.ts';
import { clock } from '../lib/clock.ts';
import { pathPrefix } from '../lib/public-origin.ts';
import { merchantDisplayName } from '../merchants/access.ts';
import { cardStepUp } from './card-step-up.ts';
import { errorText } from './card-view.ts';
import {
  type CheckoutView,
  carryChoice,
  checkoutConfirm,
  checkoutNotFound,
  checkoutOver,
  checkoutSignedIn,
  checkoutSignedOut,
  checkoutStepUp,
} from './checkout-view.ts';
import type { Html } from './html.ts';
import { codeForm } from './layout.ts';
import { type PageRequest, pageHandler } from './run.ts';
import { beginStepUp, finishStepUp, me, savedCards, signOut } from './shopper.ts';
import { signInAction } from './sign-in-action.ts';
import { htmlResponse, redirect, sessionCookie } from './web.ts';

const CARD_TOKEN = /^tok_[0-9A-HJKMNP-TV-Z]{26}$/;

/** The checkout view of the request's session, or the not-found page. */
export async function viewOf(request: PageRequest): Promise<CheckoutView | APIGatewayProxyResult> {
  const { ctx, locale, params } = request;
  const token = params.token ?? '';
  const session = await hostedSession(token, clock().now());
  if (!session) return htmlResponse(ctx, 404, checkoutNotFound(ctx, locale));
  const merchantName = (await merchantDisplayName(session.merchantId)) ?? 'the merchant';
  const action = `${pathPrefix(ctx.event)}/pay/${encodeURIComponent(token)}`;
  return { ctx, locale, session, merchantName, action, clientToken: token };
}

const returnUrls = (session: HostedSession) =>
  [session.successUrl, session.cancelUrl].filter((u): u is string => u !== undefined);

/**
 * Every checkout page allows its forms to end at the session's return URLs (CSP form-action also
 * governs the redirect after a POST), and nowhere else.
 */
export const respond = (view: CheckoutView, status: number, body: Html, setCookies: string[] = []) =>
  htmlResponse(view.ctx, status, body, { formTargets: returnUrls(view.session), setCookies });

/** The checkout for the request's shopper, signed out when there is none (reads the saved cards). */
export async function render(
  view: CheckoutView,
  status = 200,
  selectedCard?: string,
): Promise<APIGatewayProxyResult> {
  const { ctx, session } = view;
  if (session.state !== 'open') return respond(view, 410, checkoutOver(view));
  const shopper = await me(ctx.event, ctx.sessionToken);
  if (!shopper || !ctx.sessionToken) {
    return respond(
      view,
      status,
      checkoutSignedOut(view),
      ctx.sessionToken ? [sessionCookie(ctx, undefined)] : [],
    );
  }
  const cards = await savedCards(ctx.event, ctx.sessionToken);
  return respond(view, status, checkoutSignedIn(view, shopper, cards, selectedCard));
}

export const showCheckout = pageHandler(async (request) => {
  const view = await viewOf(request);
  if (!('session' in view)) return view;
  const { card, error } = request.query;
  const message = errorText(error);
  return render(
    message ? { ...view, error: message } : view,
    200,
    card && CARD_TOKEN.test(card) ? card : undefined,
  );
});

/** The approval step-up: send the code bound to amount and merchant, then check it and confirm. */
async function approvalStepUp(view: CheckoutView, form: URLSearchParams, sessionToken: string) {
  const { ctx, session } = view;
  const carry = carryChoice(form.get('plan') ?? '', form.get('card') ?? '', form.get('agreement'));
  if (form.get('do') === 'approve') {
    const amount = { amount: session.amount, currency: session.currency };
    const binding = { action: 'authorize_checkout', amount, payee: session.merchantId };
    const challenge = await beginStepUp(ctx.event, sessionToken, binding);
    if ('refused' in challenge) return redirect(ctx, `${view.action}?error=step_up_refused`);
    return respond(
      view,
      200,
      checkoutStepUp(view, codeForm(ctx, view.action, 'verify-approve', challenge, carry)),
    );
  }
  const verified = await finishStepUp(ctx.event, sessionToken, form);
  if ('refused' in verified) {
    const again = codeForm(
      ctx,
      view.action,
      'verify-approve',
      { challengeId: form.get('challengeId') ?? '' },
      carry,
    );
    return respond(view, 400, checkoutStepUp({ ...view, error: verified.refused }, again));
  }
  return respond(view, 200, checkoutConfirm(view, carry, verified.stepUpToken));
}

/** The steps of a signed-in shopper that may notify (step-up codes); never reads the vault. */
async function signedInStep(view: CheckoutView, request: PageRequest, sessionToken: string) {
  const step = request.form.get('do');
  if (step === 'approve' || step === 'verify-approve')
    return approvalStepUp(view, request.form, sessionToken);
  const card = await cardStepUp(request, sessionToken, {
    action: view.action,
    cardAction: `${view.action}/card`,
    back: view.action,
  });
  return card ?? redirect(view.ctx, view.action);
}

export const checkoutAction = pageHandler(async (request) => {
  const view = await viewOf(request);
  if (!('session' in view)) return view;
  const { ctx, form } = request;
  if (view.session.state !== 'open') return respond(view, 410, checkoutOver(view));
  if (form.get('do') === 'sign-out') {
    await signOut(ctx.event, ctx.sessionToken);
    return redirect(ctx, view.action, [sessionCookie(ctx, undefined)]);
  }
  const answered = await signInAction(request, view.action, {
    refused: async (error) => respond(view, 400, checkoutSignedOut({ ...view, error })),
    challenge: (codePage, { status = 200, setCookies = [] } = {}) =>
      respond(view, status, codePage, setCookies),
  });
  if (answered) return answered;
  if (!ctx.sessionToken || !(await me(ctx.event, ctx.sessionToken))) {
    return respond(view, 401, checkoutSignedOut({ ...view, error: 'Please sign in again.' }), [
      sessionCookie(ctx, undefined),
    ]);
  }
  return signedInStep(view, request, ctx.sessionToken);
});
