import { timingSafeEqual } from 'node:crypto';
import { forbidden, unauthorized } from '../lib/errors.ts';
import type { Authenticator } from '../lib/http.ts';
import { hashApiKey } from './service.ts';
import { merchantSuspended } from './standing.ts';
import { getApiKey } from './store.ts';

export interface MerchantPrincipal {
  merchantId: string;
  livemode: boolean;
}

const KEY_FORMAT = /^sk_(test|live)_[A-Za-z0-9_-]{43}$/;

/**
 * Merchant authentication: `Authorization: Bearer sk_…`. The key is looked up by its SHA-256, so
 * no secret is ever compared byte by byte; the stored hash is still checked in constant time as a
 * guard against a wrong item coming back. A suspended merchant is refused at once.
 */
export const merchantAccess: Authenticator<MerchantPrincipal> = async (event) => {
  const header = event.headers?.authorization ?? event.headers?.Authorization;
  const key = header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
  if (!key) throw unauthorized('Provide your secret API key as `Authorization: Bearer sk_…`.');
  if (!KEY_FORMAT.test(key)) throw unauthorized('Invalid API key.');
  const hash = hashApiKey(key);
  const record = await getApiKey(hash);
  if (!record || !timingSafeEqual(Buffer.from(record.keyHash, 'hex'), Buffer.from(hash, 'hex'))) {
    throw unauthorized('Invalid API key.');
  }
  if (record.status === 'suspended') {
    throw merchantSuspended();
  }
  if (record.status !== 'active')
    throw forbidden('merchant_inactive', 'This merchant account is not active.');
  return { merchantId: record.merchantId, livemode: record.livemode };
};
