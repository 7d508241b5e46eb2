/**
 * The second factor of a sign-in as a page: the code form for the way the challenge is answered
 * now (the authenticator app until a code is sent by SMS or email), a recovery code instead, and
 * a button per verified phone or email to have a code sent there (`POST /v1/sessions/mfa/code`).
 */
import { type Html, html } from './html.ts';
import { alert, codeForm, form, hidden, page } from './layout.ts';
import type { LoginChallenge } from './shopper.ts';
import type { PageContext } from './web.ts';

const SEND_LABEL: Record<'sms' | 'email', { first: string; again: string }> = {
  sms: { first: 'Text me a code', again: 'Text me a new code' },
  email: { first: 'Email me a code', again: 'Email me a new code' },
};

/** What every sign-in code form carries: the challenge and how it is answered (echoed, never trusted). */
const carried = (challenge: LoginChallenge) =>
  html`${hidden('channels', challenge.channels.join(','))}${hidden('using', challenge.using)}`;

/** The buttons that send a code by SMS or email: one per verified address the challenge offers. */
function sendButtons(ctx: PageContext, action: string, challenge: LoginChallenge): Html | '' {
  const codeChannels = challenge.channels.filter((c): c is 'sms' | 'email' => c !== 'totp');
  if (codeChannels.length === 0) return '';
  const heading = challenge.using === 'totp' ? 'No authenticator app at hand?' : 'No code yet?';
  const buttons = codeChannels.map((channel) => {
    const label = SEND_LABEL[channel][challenge.using === channel ? 'again' : 'first'];
    return html`<button type="submit" class="secondary" name="send" value="${channel}">${label}</button>`;
  });
  return html`<h2 id="other-ways">${heading}</h2>${form(
    ctx,
    action,
    'mfa-send',
    html`<div class="row">${buttons}</div>`,
    html`${hidden('challengeId', challenge.challengeId)}${carried(challenge)}`,
  )}`;
}

/**
 * The sign-in code page; `error`: the API's refusal of the last code or send. "Start over" goes
 * back to the sign-in form at `action` (a challenge out of checks needs a new sign-in).
 */
export function signInCodePage(
  ctx: PageContext,
  locale: string,
  action: string,
  challenge: LoginChallenge,
  error?: string,
): Html {
  const code = codeForm(
    ctx,
    action,
    'mfa',
    { challengeId: challenge.challengeId, channel: challenge.using },
    carried(challenge),
    true,
  );
  return page(
    ctx,
    locale,
    'Enter your code',
    html`${alert(error)}${code}${sendButtons(ctx, action, challenge)}
<p><a href="${action}">Start over</a></p>`,
  );
}
