import { timingSafeEqual } from 'node:crypto';
import { forbidden, unauthorized } from '../lib/errors.ts';
import type { Authenticator, HttpEvent } from '../lib/http.ts';
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
  if (record.status === 'rejected') {
    throw forbidden('merchant_rejected', 'This merchant account failed its compliance review (KYB).');
  }
  if (record.status === 'pending_review' && !isSetupRequest(event)) {
    throw forbidden(
      'merchant_pending_review',
      'This merchant account is pending its compliance review (KYB): it can read and set up its integration, ' +
        'but cannot take payments until the review activates it.',
    );
  }
  if (record.status !== 'active' && record.status !== 'pending_review') {
    throw forbidden('merchant_inactive', 'This merchant account is not active.');
  }
  return { merchantId: record.merchantId, livemode: record.livemode };
};

/** Route prefixes a merchant under review may write to: setting up, never moving money. */
const SETUP_PATHS = ['/v1/webhook-endpoints'];

/**
 * THE one check of "only `active` takes payments": a merchant in `pending_review` may make reads
 * (GET) and set up its webhook endpoints; every other request (every checkout session, order,
 * capture, refund, cancel, extension and release, and whatever payment route comes next) is refused
 * here, before any handler runs. Fails closed: a new route is a payment route until listed above.
 */
function isSetupRequest(event: HttpEvent): boolean {
  if (event.httpMethod === 'GET') return true;
  const path = event.resource ?? event.path ?? '';
  return SETUP_PATHS.some((prefix) => path === prefix || path.startsWith(`${prefix}/`));
}
