/** The sign-in forms every page shares: sign in, register, and the second factor when asked. */
import type { APIGatewayProxyResult } from 'aws-lambda';
import { html } from './html.ts';
import { codeForm, page } from './layout.ts';
import type { PageRequest } from './run.ts';
import { completeSignIn, confirmEmail, register, type SignInStep, signIn } from './shopper.ts';
import { redirect, sessionCookie } from './web.ts';

export interface SignInAnswers {
  refused(message: string): Promise<APIGatewayProxyResult>;
  challenge(codePage: ReturnType<typeof page>, setCookies?: string[]): APIGatewayProxyResult;
}

/**
 * Handles `do` = sign-in | register | mfa | verify-email posted to `action`; undefined for any other
 * step. Signed in: the session cookie is set and the browser goes back to `action` (303). A new
 * account is signed in and asked for the code sent to its email first (`verify-email`).
 */
export async function signInAction(
  request: PageRequest,
  action: string,
  answers: SignInAnswers,
): Promise<APIGatewayProxyResult | undefined> {
  const { ctx, form, locale } = request;
  if (form.get('do') === 'verify-email') return verifyEmailAction(request, action, answers);
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
  if (step.kind === 'verify_email') {
    const form = codeForm(ctx, action, 'verify-email', step.challenge);
    return answers.challenge(page(ctx, locale, 'Confirm your email', form), [
      sessionCookie(ctx, step.sessionToken),
    ]);
  }
  if (step.kind === 'refused' && form.get('do') !== 'mfa') return answers.refused(step.message);
  const challenge =
    step.kind === 'challenge' ? step.challenge : { challengeId: form.get('challengeId') ?? '' };
  const error = step.kind === 'refused' ? html`<p role="alert" class="error">${step.message}</p>` : '';
  return answers.challenge(
    page(ctx, locale, 'Enter your code', html`${error}${codeForm(ctx, action, 'mfa', challenge, '', true)}`),
  );
}

/** The email code of a new account: back to `action` once proven, or the form again with the refusal. */
async function verifyEmailAction(
  request: PageRequest,
  action: string,
  answers: SignInAnswers,
): Promise<APIGatewayProxyResult> {
  const { ctx, form, locale } = request;
  if (!ctx.sessionToken) return redirect(ctx, action);
  const refusal = await confirmEmail(ctx.event, ctx.sessionToken, form);
  if (refusal === null) return redirect(ctx, action);
  const challenge = { challengeId: form.get('challengeId') ?? '', channel: 'email' };
  return answers.challenge(
    page(
      ctx,
      locale,
      'Confirm your email',
      html`<p role="alert" class="error">${refusal}</p>${codeForm(ctx, action, 'verify-email', challenge)}`,
    ),
  );
}
