/**
 * The hosted checkout: `GET /pay/{token}` shows the offer (signed out: sign in or register; signed in:
 * plans, cards, approve), `POST /pay/{token}` takes its forms. `token` is the session's client secret.
 * Redirects go only to this page or to the session's own successUrl / cancelUrl.
 */
import type { APIGatewayProxyResult } from 'aws-lambda';
import { type HostedSession, hostedSession } from '../checkout/approval.ts';
import { authorizeCheckoutSession } from '../checkout/handler.ts';
import { clock } from '../lib/clock.ts';
import { pathPrefix } from '../lib/public-origin.ts';
import { merchantDisplayName } from '../merchants/access.ts';
import {
  type CheckoutView,
  carryChoice,
  checkoutApproved,
  checkoutNotFound,
  checkoutOver,
  checkoutSignedIn,
  checkoutSignedOut,
  checkoutStepUp,
} from './checkout-view.ts';
import type { Html } from './html.ts';
import { invoke } from './invoke.ts';
import { codeForm } from './layout.ts';
import { type PageRequest, pageHandler } from './run.ts';
import { beginStepUp, finishStepUp, me, savedCards, signOut } from './shopper.ts';
import { signInAction } from './sign-in-action.ts';
import { htmlResponse, redirect, sessionCookie } from './web.ts';

const CARD_TOKEN = /^tok_[0-9A-HJKMNP-TV-Z]{26}$/;

async function viewOf(request: PageRequest): Promise<CheckoutView | APIGatewayProxyResult> {
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
const respond = (view: CheckoutView, status: number, body: Html, setCookies: string[] = []) =>
  htmlResponse(view.ctx, status, body, { formTargets: returnUrls(view.session), setCookies });

/** Renders the checkout for the shopper this request carries (signed out when none). */
async function render(
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
  const card = request.query.card;
  return render(view, 200, card && CARD_TOKEN.test(card) ? card : undefined);
});

/** The plan and term of an offer's radio value (`pay_in_4`, `monthly:6`). */
function chosenPlan(value: string): { plan: string; termMonths?: number } {
  const [plan = '', term] = value.split(':');
  return term === undefined ? { plan } : { plan, termMonths: Number(term) };
}

/** Where an approved shopper goes: the session's successUrl with `checkout_session_id` added. */
function successLocation(session: HostedSession): string | undefined {
  if (!session.successUrl) return undefined;
  const url = new URL(session.successUrl);
  url.searchParams.set('checkout_session_id', session.id);
  return url.toString();
}

async function approve(view: CheckoutView, form: URLSearchParams): Promise<APIGatewayProxyResult> {
  const { ctx, session } = view;
  const sessionToken = ctx.sessionToken;
  if (!sessionToken || !(await me(ctx.event, sessionToken)))
    return render({ ...view, error: 'Please sign in again.' }, 401);
  const planValue = form.get('plan') ?? '';
  const card = form.get('card') ?? '';
  const headers: Record<string, string> = {};
  if (session.stepUpRequired) {
    if (!form.get('challengeId')) {
      const amount = { amount: session.amount, currency: session.currency };
      const challenge = await beginStepUp(ctx.event, sessionToken, {
        action: 'authorize_checkout',
        amount,
        payee: session.merchantId,
      });
      if ('refused' in challenge) return render({ ...view, error: challenge.refused }, 422);
      const first = codeForm(ctx, view.action, 'approve', challenge, carryChoice(planValue, card));
      return respond(view, 200, checkoutStepUp(view, first));
    }
    const verified = await finishStepUp(ctx.event, sessionToken, form);
    if ('refused' in verified) {
      const challenge = { challengeId: form.get('challengeId') ?? '' };
      const again = codeForm(ctx, view.action, 'approve', challenge, carryChoice(planValue, card));
      return respond(view, 400, checkoutStepUp({ ...view, error: verified.refused }, again));
    }
    headers['step-up-token'] = verified.stepUpToken;
  }
  const { plan, termMonths } = chosenPlan(planValue);
  const body = {
    clientToken: view.clientToken,
    plan,
    cardToken: card,
    ...(termMonths === undefined ? {} : { termMonths }),
  };
  const answer = await invoke(authorizeCheckoutSession, ctx.event, {
    method: 'POST',
    resource: '/v1/checkout-sessions/{id}/authorize',
    pathParameters: { id: session.id },
    body,
    sessionToken,
    headers,
  });
  if (answer.error) return render({ ...view, error: answer.error.message }, answer.status, card);
  const location = successLocation(session);
  return location ? redirect(ctx, location) : respond(view, 200, checkoutApproved(view));
}

export const checkoutAction = pageHandler(async (request) => {
  const view = await viewOf(request);
  if (!('session' in view)) return view;
  const { ctx, form } = request;
  const step = form.get('do');
  if (view.session.state !== 'open') return render(view);
  if (step === 'sign-out') {
    await signOut(ctx.event, ctx.sessionToken);
    return redirect(ctx, view.action, [sessionCookie(ctx, undefined)]);
  }
  if (step === 'approve') return approve(view, form);
  const answered = await signInAction(request, view.action, {
    refused: (error) => render({ ...view, error }, 400),
    challenge: (codePage) => respond(view, 200, codePage),
  });
  return answered ?? render({ ...view, error: 'Unknown action.' }, 400);
});
