/** What Tessera's compact JWTs (session and step-up tokens, jose HS256) have in common. */

export const JWT_ISSUER = 'tessera';
/** Far above any token we issue; longer input is refused before any crypto. */
const MAX_TOKEN_CHARS = 2048;
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** True when `token` could be one of our JWTs (length and three base64url parts); checked before any crypto. */
export function isJwtShaped(token: string): boolean {
  return token.length <= MAX_TOKEN_CHARS && JWT_SHAPE.test(token);
}

/** A date as JWT NumericDate (whole seconds since the epoch, RFC 7519 §2). */
export const epochSeconds = (at: Date) => Math.floor(at.getTime() / 1000);
