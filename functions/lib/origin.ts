import { identifierHash } from './derived-keys.ts';
import type { HttpEvent } from './http.ts';

/** Where a request came from, for lockout per IP, new-device alerts and risk rules. */
export interface RequestOrigin {
  ip: string;
  userAgent: string;
}

/** API Gateway's view of the caller: the TCP peer (never X-Forwarded-For, which anyone can set). */
export function originOf(event: HttpEvent, headers: Record<string, string | undefined>): RequestOrigin {
  return {
    ip: event.requestContext?.identity?.sourceIp ?? 'unknown',
    userAgent: headers['user-agent'] ?? '',
  };
}

/** The device a request came from: a keyed hash of its user agent (first 512 characters) and IP. */
export const deviceHash = (origin: RequestOrigin) =>
  identifierHash('device', `${origin.userAgent.slice(0, 512)}\n${origin.ip}`);

/** The caller's IP as a keyed hash (risk aggregates never hold an address in clear). */
export const ipHash = (origin: RequestOrigin) => identifierHash('ip', origin.ip);

/** A request's device and IP as account monitoring's risk events name them (keyed hashes). */
export interface OriginHashes {
  deviceId: string;
  ipHash: string;
}

/** `deviceHash` and `ipHash` of the request, for a risk event (withdrawal, credit application). */
export async function originHashes(event: HttpEvent, headers: Record<string, string | undefined>) {
  const origin = originOf(event, headers);
  return { deviceId: await deviceHash(origin), ipHash: await ipHash(origin) } satisfies OriginHashes;
}
