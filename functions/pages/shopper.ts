/**
 * The shopper's side of the API as the pages use it: sign-in (with whatever second factor the
 * account answers with), registration, sign-out, step-up and the saved cards. Each is the API's
 * own handler called in-process (./invoke.ts); the form fields are handed over as they came and the
 * handler's schema validates them. What comes back is the API's answer, errors included.
 */
import { startVerification, verifyContact } from '../customers/contacts-handler.ts';
import { deleteCurrentSession, getMe } from '../customers/handler.ts';
import { registerCustomer } from '../customers/registration-handler.ts';
import { createMfaCode, createMfaSession, createSession } from '../customers/sign-in-handler.ts';
import type { HttpEvent } from '../lib/http.ts';
import { startStepUp } from '../twofa/step-up-handler.ts';
import { verifyStepUp } from '../twofa/step-up-verify-handler.ts';
import { deleteCard, listCards } from '../vault/handler.ts';
import { type ApiAnswer, invoke } from './invoke.ts';

/** A step-up or contact challenge (`POST /v1/me/step-up`, `/v1/me/contact-verifications`). */
export interface Challenge {
  challengeId: string;
  channel?: string;
}

/** The ways a login challenge is answered (`channels` of `POST /v1/sessions`). */
export type LoginChannel = 'totp' | 'sms' | 'email';
const LOGIN_CHANNELS: readonly LoginChannel[] = ['totp', 'sms', 'email'];

/** The known channels among `values`, in a fixed order (anything else is dropped). */
export const loginChannelsOf = (values: readonly unknown[]): LoginChannel[] =>
  LOGIN_CHANNELS.filter((channel) => values.includes(channel));

/** The login challenge of a 2FA sign-in, as the code page shows it. */
export interface LoginChallenge {
  challengeId: string;
  /** Every way to answer it: `totp`, and `sms` / `email` for each verified address. */
  channels: LoginChannel[];
  /** How the code form answers it: `totp` until a code is sent by SMS or email (then only that code). */
  using: LoginChannel;
}

/** The outcome of a sign-in step: signed in, a second factor to give, or the API's refusal. */
export type SignInStep =
  | { kind: 'signed_in'; sessionToken: string }
  /** Signed in just after registering: the email's one-time code proves the address. */
  | { kind: 'verify_email'; sessionToken: string; challenge: Challenge }
  | { kind: 'challenge'; challenge: LoginChallenge }
  | { kind: 'refused'; message: string };

const field = (form: URLSearchParams, name: string) => form.get(name) ?? '';

/**
 * `POST /v1/sessions` and `/v1/sessions/mfa` answer `{ sessionToken }`, or (2FA on) `{ mfaRequired,
 * challengeId, channels }` (customers/sign-in.ts `SignInResult`), or an error.
 */
function signInStep(answer: ApiAnswer): SignInStep {
  if (answer.error) return { kind: 'refused', message: answer.error.message };
  const { sessionToken, challengeId, channels } = answer.json as {
    sessionToken?: string;
    challengeId?: string;
    channels?: unknown[];
  };
  if (sessionToken) return { kind: 'signed_in', sessionToken };
  if (challengeId) {
    const known = loginChannelsOf(channels ?? []);
    const using = known.includes('totp') ? 'totp' : (known[0] ?? 'totp');
    return { kind: 'challenge', challenge: { challengeId, channels: known, using } };
  }
  return { kind: 'refused', message: 'Sign-in did not complete; try again.' };
}

export async function signIn(event: HttpEvent, form: URLSearchParams): Promise<SignInStep> {
  const body = { email: field(form, 'email'), password: field(form, 'password') };
  return signInStep(await invoke(createSession, event, { method: 'POST', resource: '/v1/sessions', body }));
}

/** The second factor of a sign-in: a code, or a recovery code when one is given instead. */
export async function completeSignIn(event: HttpEvent, form: URLSearchParams): Promise<SignInStep> {
  const recoveryCode = field(form, 'recoveryCode').trim();
  const proof = recoveryCode ? { recoveryCode } : { code: field(form, 'code').trim() };
  const body = { challengeId: field(form, 'challengeId'), ...proof };
  return signInStep(
    await invoke(createMfaSession, event, { method: 'POST', resource: '/v1/sessions/mfa', body }),
  );
}

/**
 * Sends the login challenge's code by SMS or email (`POST /v1/sessions/mfa/code`, to a verified
 * address only); from then on the challenge takes that code, no longer TOTP. Null, or the refusal.
 */
export async function sendSignInCode(
  event: HttpEvent,
  challengeId: string,
  channel: 'sms' | 'email',
): Promise<string | null> {
  const answer = await invoke(createMfaCode, event, {
    method: 'POST',
    resource: '/v1/sessions/mfa/code',
    body: { challengeId, channel },
  });
  return answer.error ? answer.error.message : null;
}

/** Registers, then signs in with the same credentials (registration answers alike for a taken email). */
export async function register(event: HttpEvent, form: URLSearchParams): Promise<SignInStep> {
  const phone = field(form, 'phone').trim();
  const body = {
    email: field(form, 'email'),
    password: field(form, 'password'),
    ...(phone ? { phone } : {}),
  };
  const registered = await invoke(registerCustomer, event, {
    method: 'POST',
    resource: '/v1/customers',
    body,
  });
  if (registered.error) return { kind: 'refused', message: registered.error.message };
  const step = await signIn(event, form);
  if (step.kind !== 'signed_in') return step;
  // Codes and security notices go only to verified addresses: prove the email now, while the
  // shopper is here (if the code cannot be sent, they are signed in and can verify later).
  const started = await invoke<{ challengeId: string; channel?: string }>(startVerification, event, {
    method: 'POST',
    resource: '/v1/me/contact-verifications',
    body: { contact: 'email' },
    sessionToken: step.sessionToken,
  });
  if (started.error) return step;
  return {
    kind: 'verify_email',
    sessionToken: step.sessionToken,
    challenge: { challengeId: started.json.challengeId, channel: started.json.channel ?? 'email' },
  };
}

/** The code that proves the email (`POST /v1/me/contact-verifications/{id}/verify`): null, or the refusal. */
export async function confirmEmail(
  event: HttpEvent,
  sessionToken: string,
  form: URLSearchParams,
): Promise<string | null> {
  const answer = await invoke(verifyContact, event, {
    method: 'POST',
    resource: '/v1/me/contact-verifications/{challengeId}/verify',
    pathParameters: { challengeId: field(form, 'challengeId') },
    body: { code: field(form, 'code').trim() },
    sessionToken,
  });
  return answer.error ? answer.error.message : null;
}

export async function signOut(event: HttpEvent, sessionToken: string | undefined): Promise<void> {
  if (!sessionToken) return;
  await invoke(deleteCurrentSession, event, {
    method: 'DELETE',
    resource: '/v1/sessions/current',
    sessionToken,
  });
}

/** The signed-in shopper (`GET /v1/me`), or undefined when the session is missing or over. */
export async function me(event: HttpEvent, sessionToken: string | undefined) {
  if (!sessionToken) return undefined;
  const answer = await invoke<{ id: string; email: string; twoFactorEnabled?: boolean }>(getMe, event, {
    method: 'GET',
    resource: '/v1/me',
    sessionToken,
  });
  return answer.error ? undefined : answer.json;
}

export interface SavedCard {
  token: string;
  brand: string;
  last4: string;
  expMonth: number;
  expYear: number;
}

export async function savedCards(event: HttpEvent, sessionToken: string): Promise<SavedCard[]> {
  const answer = await invoke<{ data: SavedCard[] }>(listCards, event, {
    method: 'GET',
    resource: '/v1/me/cards',
    query: { limit: '100' },
    sessionToken,
  });
  return answer.error ? [] : answer.json.data;
}

export async function removeCard(event: HttpEvent, sessionToken: string, token: string): Promise<ApiAnswer> {
  return invoke(deleteCard, event, {
    method: 'DELETE',
    resource: '/v1/me/cards/{token}',
    pathParameters: { token },
    sessionToken,
  });
}

/** Starts a step-up for `action` (money actions bind amount and payee): the challenge, or a refusal. */
export async function beginStepUp(
  event: HttpEvent,
  sessionToken: string,
  body: { action: string; amount?: { amount: number; currency: string }; payee?: string },
): Promise<Challenge | { refused: string }> {
  const answer = await invoke<Challenge>(startStepUp, event, {
    method: 'POST',
    resource: '/v1/me/step-up',
    body,
    sessionToken,
  });
  return answer.error ? { refused: answer.error.message } : answer.json;
}

/** The step-up token for the challenge and code in `form`, or the API's refusal. */
export async function finishStepUp(
  event: HttpEvent,
  sessionToken: string,
  form: URLSearchParams,
): Promise<{ stepUpToken: string } | { refused: string }> {
  const recoveryCode = field(form, 'recoveryCode').trim();
  const answer = await invoke<{ stepUpToken: string }>(verifyStepUp, event, {
    method: 'POST',
    resource: '/v1/me/step-up/{challengeId}/verify',
    pathParameters: { challengeId: field(form, 'challengeId') },
    body: recoveryCode ? { recoveryCode } : { code: field(form, 'code').trim() },
    sessionToken,
  });
  return answer.error ? { refused: answer.error.message } : answer.json;
}
