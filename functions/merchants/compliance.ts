/**
 * A merchant's compliance state, as operators see and change it. Every merchant starts
 * `pending_review`; a KYB decision (./kyb.ts) or an operator moves it to `active` or `rejected`;
 * an active merchant can be suspended and re-activated. Only `active` takes payments (./auth.ts).
 * Every operator change commits with its audit record (functions/lib/audit.ts) in one transaction,
 * so no change happens unaudited.
 */
import { auditItem } from '../lib/audit.ts';
import { type Clock, clock as defaultClock } from '../lib/clock.ts';
import { DomainError } from '../lib/errors.ts';
import type { TransactItem } from '../lib/transactions.ts';
import type { MerchantResponse, MerchantStatus } from './schema.ts';
import { toResponse } from './service.ts';
import * as store from './store.ts';

/** Which statuses an operator may move a merchant to, from which. */
const ALLOWED_FROM: Readonly<Record<MerchantStatus, readonly MerchantStatus[]>> = {
  // An operator's approval, a re-activation after suspension, or overturning a KYB rejection.
  active: ['pending_review', 'suspended', 'rejected'],
  suspended: ['active', 'pending_review'],
  // Rejection is the end of a review; a live merchant is suspended instead.
  rejected: ['pending_review'],
  pending_review: [],
};

const AUDIT_ACTION: Readonly<Record<MerchantStatus, string>> = {
  active: 'merchant.activated',
  suspended: 'merchant.suspended',
  rejected: 'merchant.rejected',
  pending_review: 'merchant.review_requested',
};

/**
 * An operator moves merchant `id` to `status`. Asking for the current status again is a no-op.
 * Errors: 404 `resource_missing`; 409 `merchant_not_pending_review` (the move is not allowed from
 * the current status); 409 `concurrent_update` (changed meanwhile).
 */
export async function setStatus(
  id: string,
  status: MerchantStatus,
  clock: Clock = defaultClock(),
  actor = 'system:unknown',
  reason?: string,
): Promise<MerchantResponse> {
  const merchant = await store.requireMerchant(id);
  if (merchant.status === status) return toResponse(merchant);
  if (!ALLOWED_FROM[status].includes(merchant.status)) {
    throw new DomainError(
      'conflict',
      'merchant_not_pending_review',
      `A merchant in \`${merchant.status}\` cannot be moved to \`${status}\`.`,
    );
  }
  const at = clock.now().toISOString();
  const set = reason ? { statusReason: reason } : {};
  await store.writeItems([
    ...store.statusChangeItems(merchant, status, at, set),
    statusAudit(merchant.id, merchant.status, status, actor, clock, reason),
  ]);
  return toResponse({ ...merchant, ...set, status, updatedAt: at, version: merchant.version + 1 });
}

/** The audit record of a status change (by an operator, or `system:kyb:<provider>`). */
export function statusAudit(
  merchantId: string,
  from: MerchantStatus,
  to: MerchantStatus,
  actor: string,
  clock: Clock,
  reason?: string,
): TransactItem {
  return auditItem(
    {
      action: AUDIT_ACTION[to],
      subject: merchantId,
      actor,
      ...(reason ? { reason } : {}),
      metadata: { from, to },
    },
    clock,
  );
}

/** One merchant, as operators see it (status, KYB check). 404 `resource_missing`. */
export async function getMerchant(id: string): Promise<MerchantResponse> {
  return toResponse(await store.requireMerchant(id));
}

/** A page of merchants, oldest first, optionally of one status. */
export async function listMerchants(query: {
  status?: MerchantStatus | undefined;
  limit: number;
  startingAfter?: string | undefined;
}) {
  const page = await store.listMerchants(query);
  return { object: 'list' as const, data: page.merchants.map(toResponse), hasMore: page.hasMore };
}
