/**
 * Operators decide the verifications the provider sent to review: `GET
 * /v1/admin/identity-verifications` lists them (oldest first), `POST …/{id}/decision` decides one
 * (`verified` or `rejected`). Only an `in_review` verification takes an operator's decision
 * (409 `identity_not_in_review`).
 */
import type { Clock } from '../lib/clock.ts';
import { DomainError } from '../lib/errors.ts';
import { decide } from './decide.ts';
import type { IdentityVerificationResponse } from './schema.ts';
import * as store from './store.ts';
import { toVerification } from './view.ts';

export async function listInReview(clock: Clock) {
  const now = clock.now();
  return {
    object: 'list' as const,
    data: (await store.listInReview(100)).map((r) => toVerification(r, now)),
  };
}

export async function decideReview(
  operator: { operatorArn: string },
  id: string,
  body: { decision: 'verified' | 'rejected'; reason?: string | undefined },
  clock: Clock,
): Promise<IdentityVerificationResponse> {
  const record = await store.getVerification(id);
  if (!record) throw new DomainError('not_found', 'resource_missing', `No such verification: ${id}.`, 'id');
  if (record.status !== 'in_review') {
    throw new DomainError('conflict', 'identity_not_in_review', `The verification is ${record.status}.`);
  }
  const reasons = body.decision === 'rejected' ? ['operator_rejected'] : ['operator_verified'];
  const next = await decide(record, { decision: body.decision, reasons, actor: operator.operatorArn }, clock);
  return toVerification(next, clock.now());
}
