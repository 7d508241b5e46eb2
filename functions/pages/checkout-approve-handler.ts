/**
 * `POST /pay/{token}/approve`: the shopper's approval, through the API's authorize handler (it reads
 * the card summary from the vault, so this function is in the cardholder data environment and never
 * notifies). Above the threshold the form carries the step-up token verified one page before.
 * Approved: to the session's successUrl with `checkout_session_id`; else the checkout, with the reason.
 */
import { approveCheckoutAgreement } from '../agreements/me-handler.ts';
import type { HostedSession } from '../checkout/approval.ts';
import { authorizeCheckoutSession } from '../checkout/handler.ts';
import { render, respond, viewOf } from './checkout-handler.ts';
import { checkoutApproved, checkoutOver } from './checkout-view.ts';
import { invoke } from './invoke.ts';
import { pageHandler } from './run.ts';
import { redirect } from './web.ts';

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

export const checkoutApprove = pageHandler(async (request) => {
  const view = await viewOf(request);
  if (!('session' in view)) return view;
  const { ctx, form } = request;
  if (view.session.state !== 'open') return respond(view, 410, checkoutOver(view));
  if (!ctx.sessionToken) return render({ ...view, error: 'Please sign in again.' }, 401);
  const { plan, termMonths } = chosenPlan(form.get('plan') ?? '');
  const card = form.get('card') ?? '';
  const stepUpToken = form.get('stepUpToken');
  const answer = await invoke(authorizeCheckoutSession, ctx.event, {
    method: 'POST',
    resource: '/v1/checkout-sessions/{id}/authorize',
    pathParameters: { id: view.session.id },
    body: {
      clientToken: view.clientToken,
      plan,
      cardToken: card,
      ...(termMonths === undefined ? {} : { termMonths }),
    },
    sessionToken: ctx.sessionToken,
    headers: stepUpToken ? { 'step-up-token': stepUpToken } : {},
  });
  if (answer.error) return render({ ...view, error: answer.error.message }, answer.status, card);
  // The purchase stands whatever becomes of the agreement; a refusal is said on the approved page.
  const agreement =
    form.get('agreement') === 'accept'
      ? await invoke(approveCheckoutAgreement, ctx.event, {
          method: 'POST',
          resource: '/v1/checkout-sessions/{id}/agreement',
          pathParameters: { id: view.session.id },
          body: { clientToken: view.clientToken, cardToken: card },
          sessionToken: ctx.sessionToken,
        })
      : undefined;
  const location = successLocation(view.session);
  if (location && !agreement?.error) return redirect(ctx, location);
  const outcome = agreement?.error
    ? { error: `The recurring payments were not set up: ${agreement.error.message}` }
    : agreement
      ? { info: 'Recurring payments are set up; you can revoke them in your account.' }
      : {};
  return respond({ ...view, ...outcome }, 200, checkoutApproved({ ...view, ...outcome }));
});
