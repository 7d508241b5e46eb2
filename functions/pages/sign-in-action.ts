/** The sign-in forms every page shares: sign in, register, and the second factor when asked. */
import type { APIGatewayProxyResult } from 'aws-lambda';
import { html } from './html.ts';
import { codeForm, page } from './layout.ts';
import type { PageRequest } from './run.ts';
import {
  completeSignIn,
  confirmEmail,
  type LoginChallenge,
  loginChannelsOf,
  register,
  sendSignInCode,
  signIn,
} from './shopper.ts';
import { signInCodePage } from './sign-in-view.ts';
import { redirect, sessionCookie } from './web.ts';

export interface SignInAnswers {
  refused(message: string): Promise<APIGatewayProxyResult>;
  /** A code page: 200, or 400 when it shows a refused code. */
  challenge(
    codePage: ReturnType<typeof page>,
    options?: { status?: number; setCookies?: string[] },
  ): APIGatewayProxyResult;
}

/**
 * Handles `do` = sign-in | register | mfa | mfa-send | verify-email posted to `action`; undefined
 * for any other step. Signed in: the session cookie is set and the browser goes back to `action`
 * (303). A 2FA account gets the code page of its login challenge (`mfa`; `mfa-send` has a code sent
 * by SMS or email first). A new account is signed in and asked for the code sent to its email
 * first (`verify-email`).
 */
export async function signInAction(
  request: PageRequest,
  action: string,
  answers: SignInAnswers,
): Promise<APIGatewayProxyResult | undefined> {
  const { ctx, form, locale } = request;
  switch (form.get('do')) {
    case 'verify-email':
      return verifyEmailAction(request, action, answers);
    case 'mfa-send':
      return sendCodeAction(request, action, answers);
    case 'sign-in':
    case 'register':
    case 'mfa':
      break;
    default:
      return undefined;
  }
  const step =
    form.get('do') === 'sign-in'
      ? await signIn(ctx.event, form)
      : form.get('do') === 'register'
        ? await register(ctx.event, form)
        : await completeSignIn(ctx.event, form);
  if (step.kind === 'signed_in') return redirect(ctx, action, [sessionCookie(ctx, step.sessionToken)]);
  if (step.kind === 'verify_email') {
    const form = codeForm(ctx, action, 'verify-email', step.challenge);
    return answers.challenge(page(ctx, locale, 'Confirm your email', form), {
      setCookies: [sessionCookie(ctx, step.sessionToken)],
    });
  }
  if (step.kind === 'challenge')
    return answers.challenge(signInCodePage(ctx, locale, action, step.challenge));
  if (form.get('do') !== 'mfa') return answers.refused(step.message);
  const again = signInCodePage(ctx, locale, action, challengeOf(form), step.message);
  return answers.challenge(again, { status: 400 });
}

/**
 * The login challenge a code form carries back. Its `channels` and `using` only choose what the
 * page shows; the API decides what the challenge accepts.
 */
function challengeOf(form: URLSearchParams): LoginChallenge {
  const channels = loginChannelsOf((form.get('channels') ?? '').split(','));
  const [using = 'totp'] = loginChannelsOf([form.get('using')]);
  return { challengeId: form.get('challengeId') ?? '', channels, using };
}

/** "Text me a code" / "Email me a code": the code is sent, and the form asks for it. */
async function sendCodeAction(
  request: PageRequest,
  action: string,
  answers: SignInAnswers,
): Promise<APIGatewayProxyResult> {
  const { ctx, form, locale } = request;
  const challenge = challengeOf(form);
  const channel = form.get('send');
  const refused = (message: string) =>
    answers.challenge(signInCodePage(ctx, locale, action, challenge, message), { status: 400 });
  if (channel !== 'sms' && channel !== 'email') return refused('Choose where to send the code.');
  const refusal = await sendSignInCode(ctx.event, challenge.challengeId, channel);
  if (refusal !== null) return refused(refusal);
  return answers.challenge(signInCodePage(ctx, locale, action, { ...challenge, using: channel }));
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
    { status: 400 },
  );
}
