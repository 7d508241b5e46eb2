/** A merchant reads its checkout session back, with the shopper's approval once given. */
import { DomainError } from '../lib/errors.ts';
import { approvalTokenFor } from './approval.ts';
import type { CheckoutSessionDetails } from './schema.ts';
import { sessionFields } from './session.ts';
import * as store from './store.ts';

const missing = (id: string) =>
  new DomainError('not_found', 'resource_missing', `No such checkout session: ${id}.`, 'id');

/** The latest approval's token and terms while it is unused and unexpired at `nowMs`, else null. */
async function liveApproval(session: store.CheckoutSessionRecord, nowMs: number) {
  if (session.status !== 'open' || session.approvalNonce === undefined) return null;
  const token = await approvalTokenFor(session.id, session.approvalNonce);
  const record = await store.getAuthorization(store.sha256(token));
  if (record?.status !== 'unused' || record.expiresAtMs <= nowMs) return null;
  return {
    authorizationToken: token,
    expiresAt: record.expiresAt,
    plan: record.plan,
    ...(record.termMonths === undefined ? {} : { termMonths: record.termMonths }),
  };
}

/**
 * The session of this merchant and mode (another merchant's or mode's is 404 `resource_missing`,
 * like a missing one: the tenant comes from the API key, never from the path). Two single-item reads.
 */
export async function readSession(
  principal: { merchantId: string; livemode: boolean },
  id: string,
  now: Date,
): Promise<CheckoutSessionDetails> {
  const session = await store.getSession(id);
  if (!session || session.merchantId !== principal.merchantId || session.livemode !== principal.livemode) {
    throw missing(id);
  }
  return {
    ...sessionFields(session),
    ...(session.approvedAt === undefined ? {} : { approvedAt: session.approvedAt }),
    approval: await liveApproval(session, now.getTime()),
    ...(session.orderId === undefined ? {} : { orderId: session.orderId }),
    ...(session.agreementId === undefined ? {} : { customerToken: session.agreementId }),
  };
}
