/**
 * Session tokens: compact JWTs (jose, HS256) under their own derived key, audience and `typ`, so
 * they never pass as step-up tokens. Times come from the injected clock, never from jose's own
 * wall clock.
 */
import { jwtVerify, SignJWT } from 'jose';
import * as z from 'zod';
import { derivedKey } from '../lib/derived-keys.ts';
import { epochSeconds, isJwtShaped, JWT_ISSUER } from '../lib/jwt.ts';
import { defineSchema } from '../lib/schema.ts';
import { SESSION_TTL_SECONDS } from './policy.ts';

const SESSION_AUDIENCE = 'tessera:customer-session';
const SESSION_TYP = 'session+jwt';

const sessionTokenKey = () => derivedKey('session-signing', 'session-token');

export interface SessionClaims {
  customerId: string;
  sessionId: string;
}

/** A token for the session, valid `SESSION_TTL_SECONDS` (15 minutes) from `now`. */
export async function signSessionToken(
  claims: SessionClaims,
  now: Date,
): Promise<{ token: string; expiresAt: Date }> {
  const iat = epochSeconds(now);
  const exp = iat + SESSION_TTL_SECONDS;
  const token = await new SignJWT({ sid: claims.sessionId })
    .setProtectedHeader({ alg: 'HS256', typ: SESSION_TYP })
    .setIssuer(JWT_ISSUER)
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
  if (!isJwtShaped(token)) return undefined;
  try {
    const { payload } = await jwtVerify(token, await sessionTokenKey(), {
      algorithms: ['HS256'],
      issuer: JWT_ISSUER,
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
