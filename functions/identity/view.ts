/** What a shopper or an operator sees of a verification, and the status the gates read. */
import type { IdentityStatus } from './policy.ts';
import type { IdentityVerificationResponse } from './schema.ts';
import type { IdentityHead, VerificationRecord } from './store.ts';

/**
 * A verified identity past its expiry reads `expired`, and so does a `pending` one past its pending
 * period (the provider never decided: IDENTITY_PENDING_TTL_HOURS, set as its `expiresAt` at the
 * start), lazily, on every read; no head at all reads `unverified`.
 */
export function effectiveStatus(
  record: Pick<IdentityHead, 'status' | 'expiresAt'> | undefined,
  now: Date,
): IdentityStatus {
  if (!record) return 'unverified';
  const lapses = record.status === 'verified' || record.status === 'pending';
  if (lapses && record.expiresAt !== undefined && now >= new Date(record.expiresAt)) return 'expired';
  return record.status;
}

export function toVerification(record: VerificationRecord, now: Date): IdentityVerificationResponse {
  return {
    object: 'identity_verification',
    id: record.id,
    status: effectiveStatus(record, now),
    documentType: record.documentType,
    country: record.country,
    documentLast4: record.documentLast4,
    reasons: record.reasons,
    createdAt: record.createdAt,
    ...(record.decidedAt ? { decidedAt: record.decidedAt } : {}),
    ...(record.expiresAt ? { expiresAt: record.expiresAt } : {}),
  };
}
