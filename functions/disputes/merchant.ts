/**
 * The merchant's side of disputes: the disputes on its orders (the tenant comes from the API key,
 * never from the path), one dispute, and evidence text for the investigation.
 */
import type { Clock } from '../lib/clock.ts';
import { DomainError } from '../lib/errors.ts';
import { cursorPage } from '../lib/list-cursor.ts';
import { isCancellation } from '../lib/transactions.ts';
import type { Commit } from '../lib/use-case.ts';
import type { DisputeListResponse, DisputeResponse, DisputeStatus } from './schema.ts';
import { type DisputeRecord, getDispute, listMerchantDisputes, listQueue, putDisputeItem } from './store.ts';
import { changeRecords, toDispute } from './view.ts';

/** Evidence submissions a dispute holds (each up to 10,000 characters: well under the item limit). */
export const MAX_EVIDENCE = 10;

const LIST = 'disputes';

/** The merchant's dispute; another merchant's is indistinguishable from a missing one (404). */
async function requireOwn(merchantId: string, id: string): Promise<DisputeRecord> {
  const dispute = await getDispute(id);
  if (!dispute || dispute.merchantId !== merchantId) {
    throw new DomainError('not_found', 'resource_missing', `No such dispute: ${id}.`, 'id');
  }
  return dispute;
}

export async function getMerchantDispute(
  principal: { merchantId: string },
  id: string,
): Promise<DisputeResponse> {
  return toDispute(await requireOwn(principal.merchantId, id));
}

/** A page of disputes, newest first, with the cursor (bound to `owner`) of the next page. */
async function page(
  owner: string,
  query: { limit: number; startingAfter?: string | undefined },
  read: (limit: number, after?: string) => Promise<{ items: DisputeRecord[]; hasMore: boolean }>,
): Promise<DisputeListResponse> {
  const { items, ...rest } = await cursorPage({ name: LIST, owner, kind: 'dispute' }, query, read);
  return { object: 'list', data: items.map(toDispute), ...rest };
}

/** `GET /v1/disputes`: the merchant's disputes (400 `invalid_cursor` for a cursor not given to it). */
export function listDisputes(
  principal: { merchantId: string },
  query: { limit: number; startingAfter?: string | undefined },
): Promise<DisputeListResponse> {
  return page(principal.merchantId, query, (limit, after) =>
    listMerchantDisputes(principal.merchantId, limit, after),
  );
}

/** `GET /v1/admin/disputes`: the operators' queue of one status. */
export function listDisputeQueue(query: {
  status: DisputeStatus;
  limit: number;
  startingAfter?: string | undefined;
}): Promise<DisputeListResponse> {
  return page(`operator#${query.status}`, query, (limit, after) => listQueue(query.status, limit, after));
}

/**
 * `POST /v1/disputes/{id}/evidence`: appends the merchant's text (card numbers refused at the edge)
 * to an open dispute, with `dispute.evidence_submitted` and an audit event. Refusals: not_found;
 * rejected `dispute_resolved`, `evidence_limit_reached`; conflict `concurrent_update`.
 */
export async function submitEvidence(
  principal: { merchantId: string },
  id: string,
  text: string,
  commit: Commit<DisputeResponse>,
  clock: Clock,
): Promise<DisputeResponse> {
  const dispute = await requireOwn(principal.merchantId, id);
  if (dispute.status !== 'under_review') {
    throw new DomainError('rejected', 'dispute_resolved', 'The dispute is resolved; evidence is closed.');
  }
  if (dispute.evidence.length >= MAX_EVIDENCE) {
    throw new DomainError(
      'rejected',
      'evidence_limit_reached',
      `A dispute takes at most ${MAX_EVIDENCE} evidence submissions.`,
    );
  }
  const at = clock.now().toISOString();
  const after: DisputeRecord = {
    ...dispute,
    evidence: [...dispute.evidence, { text, submittedAt: at }],
    version: dispute.version + 1,
    updatedAt: at,
  };
  const items = [
    putDisputeItem(after, dispute.version),
    ...changeRecords(
      'dispute.evidence_submitted',
      after,
      {
        action: 'dispute.evidence_submitted',
        actor: principal.merchantId,
        metadata: { characters: text.length },
      },
      clock,
    ),
  ];
  try {
    await commit(items, toDispute(after));
  } catch (error) {
    if (!isCancellation(error)) throw error;
    throw new DomainError('conflict', 'concurrent_update', 'The dispute changed meanwhile; retry.');
  }
  return toDispute(after);
}
