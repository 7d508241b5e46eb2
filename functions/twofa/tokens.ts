/**
 * Session and step-up tokens: compact JWTs (jose, HS256) under purpose-specific keys, with distinct
 * audiences and `typ`s. Times come from the injected clock, never from jose's own wall clock.
 */
import { jwtVerify, SignJWT } from 'jose';
import * as z from 'zod';
import { defineSchema } from '../lib/schema.ts';
import { sessionTokenKey, stepUpTokenKey } from './keys.ts';
import { SESSION_TTL_SECONDS, STEP_UP_ACTIONS, STEP_UP_TTL_SECONDS, type StepUpAction } from './policy.ts';

const ISSUER = 'tessera';
const SESSION_AUDIENCE = 'tessera:customer-session';
const STEP_UP_AUDIENCE = 'tessera:step-up';
const SESSION_TYP = 'session+jwt';
const STEP_UP_TYP = 'step-up+jwt';
/** Far above any token we issue; longer input is refused before any crypto. */
const MAX_TOKEN_CHARS = 2048;
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

const seconds = (at: Date) => Math.floor(at.getTime() / 1000);

export interface SessionClaims {
  customerId: string;
  sessionId: string;
}

export async function signSessionToken(
  claims: SessionClaims,
  now: Date,
): Promise<{ token: string; expiresAt: Date }> {
  const iat = seconds(now);
  const exp = iat + SESSION_TTL_SECONDS;
  const token = await new SignJWT({ sid: claims.sessionId })
    .setProtectedHeader({ alg: 'HS256', typ: SESSION_TYP })
    .setIssuer(ISSUER)
    .setAudience(SESSION_AUDIENCE)
    .setSubject(claims.customerId)
    .setIssuedAt(iat)
    .setExpirationTime(exp)
    .sign(await sessionTokenKey());
  return { token, expiresAt: new Date(exp * 1000) };
}

const SessionPayload = /* @__PURE__ */ defineSchema(() =>
  z.object({ sub: z.string().regex(/^cus_/), sid: z.string().regex(/^ses_/) }),
);

/** The claims of a valid, unexpired session token; undefined for anything else. */
export async function verifySessionToken(token: string, now: Date): Promise<SessionClaims | undefined> {
  if (token.length > MAX_TOKEN_CHARS || !JWT_SHAPE.test(token)) return undefined;
  try {
    const { payload } = await jwtVerify(token, await sessionTokenKey(), {
      algorithms: ['HS256'],
      issuer: ISSUER,
      audience: SESSION_AUDIENCE,
      typ: SESSION_TYP,
      currentDate: now,
      maxTokenAge: SESSION_TTL_SECONDS,
      requiredClaims: ['exp', 'iat', 'sub'],
    });
    const parsed = SessionPayload.safeParse(payload);
    return parsed.success ? { customerId: parsed.data.sub, sessionId: parsed.data.sid } : undefined;
  } catch {
    return undefined;
  }
}

export interface StepUpBinding {
  amount?: { amount: number; currency: string };
  payee?: string;
}

export interface StepUpClaims extends StepUpBinding {
  customerId: string;
  action: StepUpAction;
  /** The verified challenge; also the token's `jti`, the key of its single use. */
  challengeId: string;
}

export async function signStepUpToken(
  claims: StepUpClaims,
  now: Date,
): Promise<{ token: string; expiresAt: Date }> {
  const iat = seconds(now);
  const exp = iat + STEP_UP_TTL_SECONDS;
  const token = await new SignJWT({
    act: claims.action,
    ...(claims.amount ? { amt: claims.amount.amount, cur: claims.amount.currency } : {}),
    ...(claims.payee === undefined ? {} : { pay: claims.payee }),
  })
    .setProtectedHeader({ alg: 'HS256', typ: STEP_UP_TYP })
    .setIssuer(ISSUER)
    .setAudience(STEP_UP_AUDIENCE)
    .setSubject(claims.customerId)
    .setJti(claims.challengeId)
    .setIssuedAt(iat)
    .setExpirationTime(exp)
    .sign(await stepUpTokenKey());
  return { token, expiresAt: new Date(exp * 1000) };
}

const StepUpPayload = /* @__PURE__ */ defineSchema(() =>
  z.object({
    sub: z.string(),
    jti: z.string().regex(/^chl_/),
    exp: z.number().int(),
    act: z.enum(STEP_UP_ACTIONS),
    amt: z.number().int().optional(),
    cur: z.string().optional(),
    pay: z.string().optional(),
  }),
);

/** The claims of a valid step-up token at most 5 minutes old; undefined for anything else. */
export async function verifyStepUpToken(
  token: string,
  now: Date,
): Promise<(StepUpClaims & { expiresAt: Date }) | undefined> {
  if (token.length > MAX_TOKEN_CHARS || !JWT_SHAPE.test(token)) return undefined;
  try {
    const { payload } = await jwtVerify(token, await stepUpTokenKey(), {
      algorithms: ['HS256'],
      issuer: ISSUER,
      audience: STEP_UP_AUDIENCE,
      typ: STEP_UP_TYP,
      currentDate: now,
      maxTokenAge: STEP_UP_TTL_SECONDS,
      requiredClaims: ['exp', 'iat', 'sub', 'jti'],
    });
    const parsed = StepUpPayload.safeParse(payload);
    if (!parsed.success) return undefined;
    const { sub, jti, exp, act, amt, cur, pay } = parsed.data;
    if ((amt === undefined) !== (cur === undefined)) return undefined;
    return {
      customerId: sub,
      challengeId: jti,
      action: act,
      ...(amt !== undefined && cur !== undefined ? { amount: { amount: amt, currency: cur } } : {}),
      ...(pay === undefined ? {} : { payee: pay }),
      expiresAt: new Date(exp * 1000),
    };
  } catch {
    return undefined;
  }
}
