import { Logger } from '@aws-lambda-powertools/logger';
import { maskPans } from './pan.ts';

/** Keys whose values never reach a log line, whatever they hold. */
const SECRET_KEY =
  /pass(word)?|secret|token|api[-_]?key|authorization|cookie|^number$|^pan$|cvc|cvv|otp|totp|recoverycode|signature|plaintext|document[-_]?number/i;
/** Merchant API keys and bearer tokens that slip into free text. */
const KEY_LIKE = /\b(sk_(?:test|live)_[A-Za-z0-9]+|Bearer\s+[A-Za-z0-9._~+/=-]+)/g;

/** Card numbers (the kernel's one detector, ./pan.ts) and API keys or bearer tokens, replaced. */
export function redactText(text: string): string {
  return maskPans(text, () => '[REDACTED_PAN]').replace(KEY_LIKE, '[REDACTED_KEY]');
}

export function redactValue(key: string, value: unknown): unknown {
  if (key && SECRET_KEY.test(key) && value !== null && typeof value !== 'object') return '[REDACTED]';
  if (typeof value === 'string') return redactText(value);
  return value;
}

/** One logger per container. Every value passes the redacting replacer before it is written. */
export const logger = new Logger({
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'tessera',
  jsonReplacerFn: (key, value) => redactValue(key, value),
});
