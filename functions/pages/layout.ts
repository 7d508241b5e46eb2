/** The page shell and the pieces every page shares (forms, alerts, sign-in). No script anywhere. */
import { config } from '../lib/config.ts';
import { Html, html, type Part } from './html.ts';
import type { PageContext } from './web.ts';

const CSS = `
:root{--ink:#1b1b1f;--muted:#4a4a55;--line:#c9c9d2;--accent:#0b57d0;--bg:#f6f6f9;--err:#a4001d}
*{box-sizing:border-box}body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);background:var(--bg)}
header,main,footer{max-width:44rem;margin:0 auto;padding:1rem}header p{margin:0;font-weight:700;letter-spacing:.02em}
main{background:#fff;border:1px solid var(--line);border-radius:.75rem}h1{font-size:1.5rem;margin:.25rem 0 1rem}h2{font-size:1.15rem;margin:1.5rem 0 .5rem}
.amount{font-size:2rem;font-weight:700;margin:.25rem 0}.muted{color:var(--muted)}
fieldset{border:1px solid var(--line);border-radius:.5rem;margin:1rem 0;padding:.75rem}legend{font-weight:600;padding:0 .25rem}
label{display:block;margin:.5rem 0 .25rem;font-weight:600}.choice{display:flex;gap:.5rem;align-items:baseline;font-weight:600}
input[type=text],input[type=email],input[type=password],input[type=tel],select{width:100%;padding:.6rem;border:1px solid #767680;border-radius:.4rem;font:inherit}
button,.button{display:inline-block;margin:.75rem .5rem .25rem 0;padding:.65rem 1.1rem;border-radius:.4rem;border:1px solid var(--accent);background:var(--accent);color:#fff;font:inherit;font-weight:600;text-decoration:none;cursor:pointer}
button.secondary,.button.secondary{background:#fff;color:var(--accent)}
:focus-visible{outline:3px solid #ff8c00;outline-offset:2px}
table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid var(--line)}td.num,th.num{text-align:right}
dl{display:grid;grid-template-columns:auto auto;gap:.25rem 1rem;margin:.5rem 0}dt{font-weight:600}dd{margin:0;text-align:right}
.error{color:var(--err);border:1px solid var(--err);border-radius:.4rem;padding:.5rem .75rem}.ok{border:1px solid #1e7d32;border-radius:.4rem;padding:.5rem .75rem}
.offer{border-top:1px solid var(--line);padding:.5rem 0}details summary{cursor:pointer;color:var(--accent)}
code{font-size:1.05rem}.row{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center}
@media (max-width:30rem){header,main,footer{padding:.75rem}.amount{font-size:1.6rem}}
`;

/** Our own constant stylesheet: trusted markup (no value from a request ever reaches it). */
const STYLE = new Html(CSS);

/** A whole page: `lang` from the shopper's locale, one h1, the inline style under the CSP nonce. */
export function page(ctx: PageContext, locale: string, title: string, body: Part): Html {
  return html`<!doctype html>
<html lang="${locale}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · Tessera</title><style nonce="${ctx.nonce}">${STYLE}</style></head>
<body><header><p>Tessera</p></header><main id="main"><h1>${title}</h1>${body}</main>
<footer class="muted"><small>Tessera pay later · Your card number goes to the Tessera vault only.</small></footer></body></html>`;
}

/** A form posting to `action` with the CSRF field; `fields` holds the visible inputs. */
export function form(ctx: PageContext, action: string, step: string, fields: Part, extra: Part = ''): Html {
  return html`<form method="post" action="${action}"><input type="hidden" name="csrf" value="${ctx.csrfToken}"><input type="hidden" name="do" value="${step}">${extra}${fields}</form>`;
}

export const hidden = (name: string, value: string | number | undefined) =>
  value === undefined ? '' : html`<input type="hidden" name="${name}" value="${String(value)}">`;

export const alert = (message: string | undefined) =>
  message ? html`<p role="alert" class="error">${message}</p>` : '';

export const notice = (message: string | undefined) =>
  message ? html`<p role="status" class="ok">${message}</p>` : '';

/** Sign in, or register: both post to `action`. */
export function signInForms(ctx: PageContext, action: string): Html {
  return html`<h2 id="sign-in">Sign in</h2>${form(
    ctx,
    action,
    'sign-in',
    html`<label for="si-email">Email</label><input id="si-email" type="email" name="email" autocomplete="username" required>
<label for="si-password">Password</label><input id="si-password" type="password" name="password" autocomplete="current-password" required>
<button type="submit">Sign in</button>`,
  )}
<h2 id="register">New to Tessera? Create an account</h2>${form(
    ctx,
    action,
    'register',
    html`<label for="rg-email">Email</label><input id="rg-email" type="email" name="email" autocomplete="email" required>
<label for="rg-password">Password (at least 12 characters)</label><input id="rg-password" type="password" name="password" autocomplete="new-password" minlength="12" required>
<label for="rg-phone">Mobile phone (optional, +country code)</label><input id="rg-phone" type="tel" name="phone" autocomplete="tel">
<button type="submit">Create account</button>`,
  )}`;
}

/**
 * In the local sandbox, where a sent code is (nothing is sent): the outbox page. A sign-in code
 * (`step` = `mfa`) is shown there by its challenge, since that browser is not signed in yet; other
 * codes in the signed-in shopper's outbox. An authenticator code is in no outbox.
 */
function sandboxHint(step: string, challenge: { challengeId: string; channel?: string }) {
  if (!config().isLocal || challenge.channel === 'totp') return '';
  const href = step === 'mfa' ? `/outbox?challenge=${encodeURIComponent(challenge.challengeId)}` : '/outbox';
  return html`<p class="muted">Sandbox: nothing is sent; read the code in <a href="${href}" target="_blank">the outbox</a>.</p>`;
}

const CHANNEL_TEXT: Record<string, string> = {
  totp: 'Enter the 6-digit code from your authenticator app.',
  sms: 'We sent a 6-digit code to your phone.',
  email: 'We sent a 6-digit code to your email.',
};

/** The one-time code form of a challenge (sign-in second factor or step-up); `carry` rides along. */
export function codeForm(
  ctx: PageContext,
  action: string,
  step: string,
  challenge: { challengeId: string; channel?: string },
  carry: Part = '',
  allowRecovery = false,
): Html {
  const text = CHANNEL_TEXT[challenge.channel ?? ''] ?? 'Enter your 6-digit code.';
  return form(
    ctx,
    action,
    step,
    html`<p id="code-help">${text}</p>${sandboxHint(step, challenge)}<label for="code">Code</label>
<input id="code" type="text" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" maxlength="6" aria-describedby="code-help" ${allowRecovery ? '' : html`required`}>
${allowRecovery ? html`<label for="recovery">Or a recovery code</label><input id="recovery" type="text" name="recoveryCode" autocomplete="off">` : ''}
<button type="submit">Continue</button>`,
    html`${hidden('challengeId', challenge.challengeId)}${carry}`,
  );
}
