import { findPanLikeRuns } from '../../functions/vault/card.ts';

/**
 * Fields whose numbers are epoch timestamps (13-digit milliseconds pass Luhn one time in ten).
 * ISO timestamps and ULIDs cannot produce a 13+ digit run (separators, letters).
 */
const TIMESTAMP_KEY = /^(ttl|.*At|.*AtMs|.*Ms|.*Until|requestTimeEpoch)$/;
/**
 * Hex digests (SHA-256/HMAC, card fingerprints): a 64-char digest holds a Luhn-passing 13+ digit run
 * about 0.5% of the time. A PAN is at most 19 digits, so it cannot hide inside a skipped digest
 * unless glued to other hex characters, which a search for the sent numbers still catches.
 */
const HEX_DIGEST = /[0-9a-f]{32,}/gi;

/**
 * The 13–19 digit Luhn-passing runs in `value` (any JSON-like value, walked), for a card number
 * nobody thought of, skipping what is digits by nature and cannot hold a PAN: numeric timestamps
 * and hex digests. Pair it with a plain search for each number the test sent (no exclusions).
 */
export function panLikeRuns(value: unknown, key = ''): string[] {
  if (typeof value === 'number') return TIMESTAMP_KEY.test(key) ? [] : findPanLikeRuns(String(value));
  if (typeof value === 'string') return findPanLikeRuns(value.replace(HEX_DIGEST, ' '));
  if (Array.isArray(value)) return value.flatMap((v) => panLikeRuns(v, key));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => panLikeRuns(v, k));
  return [];
}
