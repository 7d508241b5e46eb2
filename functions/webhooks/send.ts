import { request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { AddressDeniedError, resolveAllowed } from '../lib/outbound.ts';
import type { AddressPolicy } from '../lib/special-addresses.ts';

export interface SendResult {
  ok: boolean;
  statusCode?: number;
  /** For the delivery record and logs: never the URL's path or query. */
  error?: string;
}

/**
 * Request options that connect to `address` (already allowed by resolveAllowed) while speaking to
 * the URL's host: the Host header, and for https the SNI name and the certificate check
 * (tls.connect verifies against `servername`). Node skips its own lookup for an IP `host`, so no
 * second resolution can happen between the check and the connection.
 */
export function pinnedRequestOptions(
  url: URL,
  address: string,
  headers: Record<string, string>,
  signal: AbortSignal,
): RequestOptions & { servername?: string } {
  const https = url.protocol === 'https:';
  const name = url.hostname.replace(/^\[|\]$/g, '');
  return {
    host: address,
    port: url.port ? Number(url.port) : https ? 443 : 80,
    method: 'POST',
    path: `${url.pathname}${url.search}`,
    headers: { ...headers, Host: url.host },
    ...(https && isIP(name) === 0 ? { servername: name } : {}),
    signal,
  };
}

function send(url: URL, options: RequestOptions, body: string): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = request(options, (res) => {
      // The receiver's body is of no interest; drain it so the connection is freed.
      res.resume();
      resolve(res);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * One POST of `body` to `rawUrl`, within `timeoutMs` from resolution to response headers. The host
 * is resolved and every answer checked (functions/lib/outbound.ts) at each attempt, and the
 * connection goes to the address checked; a denied address fails before any connection, so not a
 * byte of the body leaves. Redirects are not followed (a 3xx is a failure: following it would send
 * signed order data somewhere unregistered). Never throws: a failure is `{ ok: false, error }`.
 */
export async function postPinned(
  rawUrl: string,
  body: string,
  headers: Record<string, string>,
  timeoutMs: number,
  policy?: AddressPolicy,
): Promise<SendResult> {
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    const url = new URL(rawUrl);
    const { address } = await resolveAllowed(url.hostname, { signal, ...(policy ? { policy } : {}) });
    const withLength = { ...headers, 'Content-Length': String(Buffer.byteLength(body)) };
    const res = await send(url, pinnedRequestOptions(url, address, withLength, signal), body);
    const statusCode = res.statusCode ?? 0;
    if (statusCode >= 200 && statusCode < 300) return { ok: true, statusCode };
    return { ok: false, statusCode, error: `HTTP ${statusCode}` };
  } catch (error) {
    if (error instanceof AddressDeniedError) return { ok: false, error: error.message };
    const e = error as { name?: string; code?: string; message?: string; cause?: { code?: string } };
    if (e.name === 'TimeoutError' || e.name === 'AbortError') {
      return { ok: false, error: `timeout after ${timeoutMs} ms` };
    }
    // The code (ECONNREFUSED, ENOTFOUND, a TLS code, …) says enough; never the URL's path or query.
    const detail = e.code ?? e.cause?.code ?? e.message?.slice(0, 100);
    return { ok: false, error: `network error${detail ? `: ${detail}` : ''}` };
  }
}
