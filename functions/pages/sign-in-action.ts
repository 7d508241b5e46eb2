/** The sign-in forms every page shares: sign in, register, and the second factor when asked. */
import type { APIGatewayProxyResult } from 'aws-lambda';
import { html } from './html.ts';
import { codeForm, page } from './layout.ts';
import type { PageRequest } from './run.ts';
import { completeSignIn, register, type SignInStep, signIn } from './shopper.ts';
import { redirect, sessionCookie } from './web.ts';

export interface SignInAnswers {
  refused(message: string): Promise<APIGatewayProxyResult>;
  challenge(codePage: ReturnType<typeof page>): APIGatewayProxyResult;
}

/**
 * Handles `do` = sign-in | register | mfa posted to `action`; undefined for any other step. Signed in:
 * the session cookie is set and the browser goes back to `action` (303).
 */
export async function signInAction(
  request: PageRequest,
  action: string,
  answers: SignInAnswers,
): Promise<APIGatewayProxyResult | undefined> {
  const { ctx, form, locale } = request;
  let step: SignInStep;
  switch (form.get('do')) {
    case 'sign-in':
      step = await signIn(ctx.event, form);
      break;
    case 'register':
      step = await register(ctx.event, form);
      break;
    case 'mfa':
      step = await completeSignIn(ctx.event, form);
      break;
    default:
      return undefined;
  }
  if (step.kind === 'signed_in') return redirect(ctx, action, [sessionCookie(ctx, step.sessionToken)]);
  if (step.kind === 'refused' && form.get('do') !== 'mfa') return answers.refused(step.message);
  const challenge =
    step.kind === 'challenge' ? step.challenge : { challengeId: form.get('challengeId') ?? '' };
  const error = step.kind === 'refused' ? html`<p role="alert" class="error">${step.message}</p>` : '';
  return answers.challenge(
    page(ctx, locale, 'Enter your code', html`${error}${codeForm(ctx, action, 'mfa', challenge, '', true)}`),
  );
}
