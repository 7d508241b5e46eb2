/** The shopper's reads: one verification (404 for another customer's) and the current status. */
import type { Clock } from '../lib/clock.ts';
import { DomainError } from '../lib/errors.ts';
import type { IdentityStatusResponse, IdentityVerificationResponse } from './schema.ts';
import * as store from './store.ts';
import { effectiveStatus, toVerification } from './view.ts';

export async function getMyVerification(
  principal: { customerId: string },
  id: string,
  clock: Clock,
): Promise<IdentityVerificationResponse> {
  const record = await store.getVerification(id);
  if (record?.customerId !== principal.customerId) {
    throw new DomainError('not_found', 'resource_missing', `No such verification: ${id}.`, 'id');
  }
  return toVerification(record, clock.now());
}

export async function getMyIdentity(
  principal: { customerId: string },
  clock: Clock,
): Promise<IdentityStatusResponse> {
  const head = await store.getHead(principal.customerId);
  return {
    object: 'identity',
    status: effectiveStatus(head, clock.now()),
    ...(head ? { verificationId: head.verificationId } : {}),
    ...(head?.verifiedAt ? { verifiedAt: head.verifiedAt } : {}),
    ...(head?.expiresAt ? { expiresAt: head.expiresAt } : {}),
  };
}
