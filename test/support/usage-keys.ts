/**
 * The usage key (`x-api-key`) that goes with each merchant's secret key, as a merchant's client
 * keeps both: learned from every response that issues them (create, rotate) and from the fixtures,
 * and sent by `TestApp.call` with the secret key. Tests of the gateway's own check send the header
 * themselves (an explicit `x-api-key` header, even empty, wins).
 */
const bySecret = new Map<string, string>();

export function rememberUsageKey(secret: unknown, usageKey: unknown): void {
  if (typeof secret === 'string' && typeof usageKey === 'string') bySecret.set(secret, usageKey);
}

/** Adds `x-api-key` for a merchant secret key with a known usage key, unless the caller set one. */
export function withUsageKey(headers: Record<string, string>, secret: string | undefined): void {
  if (!secret || Object.keys(headers).some((h) => h.toLowerCase() === 'x-api-key')) return;
  const usageKey = bySecret.get(secret);
  if (usageKey) headers['x-api-key'] = usageKey;
}

/** Learns the keys a response body issued (`apiKey` with `usageKey`). */
export function learnUsageKey(body: unknown): void {
  if (body && typeof body === 'object') {
    const { apiKey, usageKey } = body as { apiKey?: unknown; usageKey?: unknown };
    rememberUsageKey(apiKey, usageKey);
  }
}

/** The `x-api-key` header of a merchant's usage key, to send with other credentials (or none). */
export function usageKeyHeader(secret: string): Record<string, string> {
  const usageKey = bySecret.get(secret);
  return usageKey ? { 'x-api-key': usageKey } : {};
}
