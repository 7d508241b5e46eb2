/**
 * Step-up tokens: compact JWTs (jose, HS256) under their own derived key, audience and `typ`, so a
 * session token never passes as one. Times come from the injected clock, never from jose's own
 * wall clock.
 */
import { jwtVerify, SignJWT } from 'jose';
import * as z from 'zod';
import { epochSeconds, isJwtShaped, JWT_ISSUER } from '../lib/jwt.ts';
import { defineSchema } from '../lib/schema.ts';
import { stepUpTokenKey } from './keys.ts';
import { STEP_UP_ACTIONS, STEP_UP_TTL_SECONDS, type StepUpAction } from './policy.ts';

const STEP_UP_AUDIENCE = 'tessera:step-up';
const STEP_UP_TYP = 'step-up+jwt';

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
  const iat = epochSeconds(now);
  const exp = iat + STEP_UP_TTL_SECONDS;
  const token = await new SignJWT({
    act: claims.action,
    ...(claims.amount ? { amt: claims.amount.amount, cur: claims.amount.currency } : {}),
    ...(claims.payee === undefined ? {} : { pay: claims.payee }),
  })
    .setProtectedHeader({ alg: 'HS256', typ: STEP_UP_TYP })
    .setIssuer(JWT_ISSUER)
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
  if (!isJwtShaped(token)) return undefined;
  try {
    const { payload } = await jwtVerify(token, await stepUpTokenKey(), {
      algorithms: ['HS256'],
      issuer: JWT_ISSUER,
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
