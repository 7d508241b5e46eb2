import type { HttpEvent } from '../lib/http.ts';
import type { RequestOrigin } from './service.ts';

/** API Gateway's view of the caller: the TCP peer (never X-Forwarded-For, which anyone can set). */
export function originOf(event: HttpEvent, headers: Record<string, string | undefined>): RequestOrigin {
  return {
    ip: event.requestContext?.identity?.sourceIp ?? 'unknown',
    userAgent: headers['user-agent'] ?? '',
  };
}
