/**
 * Checkout's face for the capabilities that redeem a shopper's approval (orders): the whole life
 * of the `authorizationToken`, and the only module outside checkout may import.
 *
 * - mint: checkout's authorize writes the approval (only the token's SHA-256 is stored);
 * - check: `checkApproval` reads it for a merchant and refuses a malformed, foreign, used or
 *   expired token;
 * - consume: `redeemApproval` gives the items that use it up and complete its session, in the
 *   redeemer's own transaction, and `redeemFailure` names what a cancelled redemption lost.
 *
 * The token format (`authz_` + 43 base64url characters: 256 bits) is defined here once. A token is
 * either random or, for an approval its merchant reads back with `GET /v1/checkout-sessions/{id}`,
 * an HMAC of a random nonce stored on the session under a key only Tessera holds
 * (`approvalTokenFor`): the table alone still yields nothing that can be redeemed.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { derivedKey } from '../lib/derived-keys.ts';
import { type CodeOfKind, DomainError } from '../lib/errors.ts';
import { type Cancellation, Transaction } from '../lib/transactions.ts';
import { AUTHORIZATION_TOKEN_TTL_MS } from './policy.ts';
import type { ApprovalTerms } from './store.ts';
import * as store from './store.ts';

const TOKEN_PREFIX = 'authz_';
const TOKEN_FORMAT = /^authz_[A-Za-z0-9_-]{43}$/;
/** The approval record outlives its use by a day (support questions), then TTL removes it. */
const RECORD_GRACE_MS = 86_400_000;

export type { ApprovalTerms };

/** A checked, still unused approval; pass it back to `redeemApproval`. */
export interface Approval extends ApprovalTerms {
  readonly tokenHash: string;
  readonly expiresAtMs: number;
}

/** The parts of a redemption transaction, by name. */
export type ApprovalPart = 'approval' | 'session';

/**
 * The authorization token of a session's approval, recomputable from the session's `approvalNonce`:
 * HMAC-SHA-256 under the `checkout-approval` key derived from the session-signing secret (RFC 5869),
 * over the session id and the nonce. 0 KMS calls; the secret is cached per container.
 */
export async function approvalTokenFor(checkoutSessionId: string, nonce: string): Promise<string> {
  const key = await derivedKey('session-signing', 'checkout-approval');
  const mac = createHmac('sha256', key).update(`${checkoutSessionId}|${nonce}`, 'utf8').digest('base64url');
  return `${TOKEN_PREFIX}${mac}`;
}

/** A fresh nonce for `approvalTokenFor` (128 random bits). */
export const newApprovalNonce = () => randomBytes(16).toString('base64url');

/**
 * Mints an approval: the token (shown to the shopper once; random unless given, see
 * `approvalTokenFor`) and the item that stores its hash.
 */
export function mintApproval(
  terms: ApprovalTerms,
  now: Date,
  token = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`,
) {
  const expiresAtMs = now.getTime() + AUTHORIZATION_TOKEN_TTL_MS;
  const record: store.AuthorizationRecord = {
    tokenHash: store.sha256(token),
    ...terms,
    status: 'unused',
    expiresAt: new Date(expiresAtMs).toISOString(),
    expiresAtMs,
    createdAt: now.toISOString(),
    ttl: Math.floor((expiresAtMs + RECORD_GRACE_MS) / 1000),
  };
  return { token, expiresAt: record.expiresAt, item: store.putAuthorizationItem(record) };
}

const refused = (code: CodeOfKind<'rejected'>, message: string) =>
  new DomainError('rejected', code, message, 'authorizationToken');
const invalid = () =>
  refused('authorization_token_invalid', 'The authorizationToken is not valid for this merchant.');
const used = () => refused('authorization_token_used', 'The authorizationToken was already used.');
const expired = () => refused('authorization_token_expired', 'The authorizationToken has expired.');

/**
 * The approval behind `token`, for this merchant and mode, unused and unexpired at `now`. Throws a
 * `rejected` DomainError (param `authorizationToken`): `authorization_token_invalid` (malformed,
 * unknown, another merchant's or mode's: indistinguishable), `_used`, `_expired`.
 */
export async function checkApproval(
  principal: { merchantId: string; livemode: boolean },
  token: string,
  now: Date,
): Promise<Approval> {
  if (!TOKEN_FORMAT.test(token)) throw invalid();
  const record = await store.getAuthorization(store.sha256(token));
  if (!record || record.merchantId !== principal.merchantId || record.livemode !== principal.livemode) {
    throw invalid();
  }
  if (record.status === 'used') throw used();
  if (record.expiresAtMs <= now.getTime()) throw expired();
  const { status: _s, orderId: _o, expiresAt: _e, createdAt: _c, ttl: _t, ...approval } = record;
  return approval;
}

/**
 * The items that use the approval up for `orderId` and complete its session (one order per
 * session), for the redeemer's transaction. DynamoDB enforces single use at the moment of writing:
 * unused, unexpired and this merchant's; the session still open.
 */
export function redeemApproval(approval: Approval, orderId: string, now: Date): Transaction<ApprovalPart> {
  const at = now.toISOString();
  return new Transaction<ApprovalPart>()
    .add(
      'approval',
      store.consumeAuthorizationItem(approval.tokenHash, approval.merchantId, orderId, now.getTime(), at),
    )
    .add('session', store.completeSessionItem(approval.checkoutSessionId, orderId, at));
}

/**
 * What a cancelled redemption lost, as the DomainError to answer with; undefined when neither the
 * approval nor its session was the cause. `now` is read after the failure: a token that lapsed this
 * very moment is expired rather than used.
 */
export function redeemFailure(
  cancelled: Cancellation<ApprovalPart>,
  approval: Approval,
  now: Date,
): DomainError | undefined {
  // Lost to a concurrent redemption of the same token (or it lapsed this very moment).
  if (cancelled.lost('approval')) return now.getTime() >= approval.expiresAtMs ? expired() : used();
  if (cancelled.lost('session')) {
    return refused(
      'checkout_session_completed',
      'The checkout session of this authorization already has an order.',
    );
  }
  return undefined;
}

// The agreements capability reads the agreement a session asks for, and records its approval.
export { type AgreementOffer, agreementApprovedItem, agreementOffer } from './agreement-offer.ts';
// The hosted checkout page (functions/pages) reads a session by its client secret.
export { type HostedOffer, type HostedSession, hostedSession } from './hosted.ts';
