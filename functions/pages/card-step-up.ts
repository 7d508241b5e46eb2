/**
 * The step before the card form, in the page functions that may notify: send the `add_card` code
 * (`do=add-card`), check it (`do=verify-card`), then show the card form, which posts to the card
 * function with the step-up token. Undefined for any other step.
 */
import type { APIGatewayProxyResult } from 'aws-lambda';
import { cardFormPage } from './card-view.ts';
import { html } from './html.ts';
import { alert, codeForm, page } from './layout.ts';
import type { PageRequest } from './run.ts';
import { beginStepUp, finishStepUp } from './shopper.ts';
import { htmlResponse, redirect } from './web.ts';

export async function cardStepUp(
  request: PageRequest,
  sessionToken: string,
  target: { action: string; cardAction: string; back: string },
): Promise<APIGatewayProxyResult | undefined> {
  const { ctx, form, locale } = request;
  const codePage = (challenge: { challengeId: string; channel?: string }, error?: string) =>
    page(
      ctx,
      locale,
      'Add a card',
      html`${alert(error)}<p>Adding a card needs a one-time code.</p>${codeForm(ctx, target.action, 'verify-card', challenge)}<p><a href="${target.back}">Back</a></p>`,
    );
  if (form.get('do') === 'add-card') {
    const challenge = await beginStepUp(ctx.event, sessionToken, { action: 'add_card' });
    if ('refused' in challenge) return redirect(ctx, `${target.back}?error=step_up_refused`);
    return htmlResponse(ctx, 200, codePage(challenge));
  }
  if (form.get('do') !== 'verify-card') return undefined;
  const verified = await finishStepUp(ctx.event, sessionToken, form);
  if ('refused' in verified) {
    const challenge = { challengeId: form.get('challengeId') ?? '' };
    return htmlResponse(ctx, 400, codePage(challenge, verified.refused));
  }
  const cardPage = cardFormPage(
    ctx,
    locale,
    { action: target.cardAction, back: target.back },
    verified.stepUpToken,
  );
  return htmlResponse(ctx, 200, cardPage);
}
