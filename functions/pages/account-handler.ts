/**
 * The shopper portal, `/account`: `GET` shows orders (with schedules), disputes, saved cards and 2FA
 * settings (signed out: sign in or register; it reads the vault for the saved cards); `POST` takes
 * the forms that may notify (sign-in, step-up codes, 2FA changes, reporting a charge) and never
 * reads the vault: on a refusal it
 * goes back to `GET /account?error=…`. Card changes (`/account/cards`, card-handler.ts) and payoff
 * (`/account/payoff`) are separate functions with the vault grants only they need.
 */
import type { APIGatewayProxyResult } from 'aws-lambda';
import { revokeMyAgreement } from '../agreements/me-handler.ts';
import { fileMyDispute } from '../disputes/handler.ts';
import { confirmTotp, enrollTotp } from '../twofa/handler.ts';
import { disableTwoFactor, regenerateRecoveryCodes } from '../twofa/settings-handler.ts';
import { DONE, renderAccount, viewOf } from './account-page.ts';
import { accountSignedOut, accountStep, recoveryCodesPage, totpSetupPage } from './account-view.ts';
import { cardStepUp } from './card-step-up.ts';
import { errorText } from './card-view.ts';
import { html } from './html.ts';
import { type ApiHandler, invoke } from './invoke.ts';
import { codeForm, hidden } from './layout.ts';
import { type PageRequest, pageHandler } from './run.ts';
import { beginStepUp, finishStepUp, me, signOut } from './shopper.ts';
import { signInAction } from './sign-in-action.ts';
import { htmlResponse, redirect, sessionCookie } from './web.ts';

export const showAccount = pageHandler(async (request) => {
  const { done, error } = request.query;
  const message = errorText(error);
  return renderAccount(request, {
    ...(done && DONE[done] ? { info: DONE[done] } : {}),
    ...(message ? { error: message } : {}),
  });
});

const STEP_UP_ACTIONS: Record<string, { title: string; run: ApiHandler; resource: string }> = {
  enable_2fa: { title: 'Turn on the authenticator app', run: enrollTotp, resource: '/v1/me/2fa/totp' },
  disable_2fa: {
    title: 'Turn off two-factor authentication',
    run: disableTwoFactor,
    resource: '/v1/me/2fa/disable',
  },
  regenerate_recovery_codes: {
    title: 'New recovery codes',
    run: regenerateRecoveryCodes,
    resource: '/v1/me/2fa/recovery-codes',
  },
};

/** 2FA changes: a step-up code first, then the change with its token. */
async function twoFactorStep(request: PageRequest, sessionToken: string): Promise<APIGatewayProxyResult> {
  const { ctx, form } = request;
  const view = viewOf(request);
  const action = form.get('action') ?? '';
  const spec = STEP_UP_ACTIONS[action];
  if (!spec) return redirect(ctx, `${view.action}?error=unknown_action`);
  const recovery = action !== 'enable_2fa';
  if (form.get('do') === 'step-up') {
    const challenge = await beginStepUp(ctx.event, sessionToken, { action });
    if ('refused' in challenge) return redirect(ctx, `${view.action}?error=step_up_refused`);
    return htmlResponse(
      ctx,
      200,
      accountStep(
        view,
        spec.title,
        codeForm(ctx, view.action, 'verify', challenge, hidden('action', action), recovery),
      ),
    );
  }
  const verified = await finishStepUp(ctx.event, sessionToken, form);
  if ('refused' in verified) {
    const challenge = { challengeId: form.get('challengeId') ?? '' };
    const again = codeForm(ctx, view.action, 'verify', challenge, hidden('action', action), recovery);
    return htmlResponse(ctx, 400, accountStep({ ...view, error: verified.refused }, spec.title, again));
  }
  const answer = await invoke<{ secret?: string; otpauthUri?: string; recoveryCodes?: string[] }>(
    spec.run,
    ctx.event,
    {
      method: 'POST',
      resource: spec.resource,
      sessionToken,
      headers: { 'step-up-token': verified.stepUpToken },
    },
  );
  if (answer.error) return redirect(ctx, `${view.action}?error=${answer.error.code}`);
  if (answer.json.secret && answer.json.otpauthUri) {
    return htmlResponse(ctx, 200, totpSetupPage(view, answer.json.secret, answer.json.otpauthUri));
  }
  if (answer.json.recoveryCodes)
    return htmlResponse(ctx, 200, recoveryCodesPage(view, answer.json.recoveryCodes));
  return redirect(ctx, `${view.action}?done=2fa-off`);
}

async function signedInStep(request: PageRequest, sessionToken: string): Promise<APIGatewayProxyResult> {
  const { ctx, form } = request;
  const view = viewOf(request);
  const step = form.get('do');
  if (step === 'confirm-totp') {
    const answer = await invoke<{ recoveryCodes: string[] }>(confirmTotp, ctx.event, {
      method: 'POST',
      resource: '/v1/me/2fa/totp/confirm',
      body: { code: (form.get('code') ?? '').trim() },
      sessionToken,
    });
    if (answer.error)
      return htmlResponse(
        ctx,
        400,
        accountStep(
          { ...view, error: answer.error.message },
          'Try again',
          html`<p>Start again from your account page.</p>`,
        ),
      );
    return htmlResponse(ctx, 200, recoveryCodesPage(view, answer.json.recoveryCodes));
  }
  if (step === 'step-up' || step === 'verify') return twoFactorStep(request, sessionToken);
  if (step === 'revoke-agreement') {
    const revoked = await invoke(revokeMyAgreement, ctx.event, {
      method: 'DELETE',
      resource: '/v1/me/agreements/{id}',
      pathParameters: { id: form.get('agreement') ?? '' },
      sessionToken,
    });
    return redirect(
      ctx,
      `${view.action}?${revoked.error ? `error=${revoked.error.code}` : 'done=agreement-revoked'}`,
    );
  }
  if (step === 'dispute') {
    const filed = await invoke(fileMyDispute, ctx.event, {
      method: 'POST',
      resource: '/v1/me/disputes',
      body: { orderId: form.get('order') ?? '', reason: form.get('reason') ?? '' },
      sessionToken,
    });
    return redirect(
      ctx,
      filed.error ? `${view.action}?error=${filed.error.code}` : `${view.action}?done=dispute`,
    );
  }
  const card = await cardStepUp(request, sessionToken, {
    action: view.action,
    cardAction: `${view.action}/cards`,
    back: view.action,
  });
  return card ?? redirect(ctx, `${view.action}?error=unknown_action`);
}

export const accountAction = pageHandler(async (request) => {
  const { ctx, form } = request;
  const action = viewOf(request).action;
  if (form.get('do') === 'sign-out') {
    await signOut(ctx.event, ctx.sessionToken);
    return redirect(ctx, action, [sessionCookie(ctx, undefined)]);
  }
  const answered = await signInAction(request, action, {
    refused: async (error) => htmlResponse(ctx, 400, accountSignedOut(viewOf(request, { error }))),
    challenge: (codePage, { status = 200, setCookies = [] } = {}) =>
      htmlResponse(ctx, status, codePage, { setCookies }),
  });
  if (answered) return answered;
  if (!ctx.sessionToken || !(await me(ctx.event, ctx.sessionToken))) {
    const signedOut = accountSignedOut(viewOf(request, { error: 'Please sign in again.' }));
    return htmlResponse(ctx, 401, signedOut, { setCookies: [sessionCookie(ctx, undefined)] });
  }
  return signedInStep(request, ctx.sessionToken);
});
