/**
 * The identity capability's face: the KYC gate in front of money that leaves the platform and
 * credit that is granted (ARCHITECTURE.md, Sessions: "withdrawal, credit application … need
 * identity verified"). Only `verified`, unexpired, opens it.
 */
import type { Clock } from '../lib/clock.ts';
import { DomainError } from '../lib/errors.ts';
import type { IdentityStatus } from './policy.ts';
import { getHead } from './store.ts';
import { effectiveStatus } from './view.ts';

export type { IdentityStatus } from './policy.ts';

/** The customer's identity status now (`expired` once a verification's period has passed). */
export async function identityStatus(customerId: string, clock: Clock): Promise<IdentityStatus> {
  return effectiveStatus(await getHead(customerId), clock.now());
}

/** 403 `identity_not_verified` naming the status, unless the customer is verified. */
export function identityNotVerified(status: IdentityStatus): DomainError {
  return new DomainError(
    'denied',
    'identity_not_verified',
    `This needs a verified identity; yours is ${status}. Start one with POST /v1/me/identity-verifications.`,
  );
}
