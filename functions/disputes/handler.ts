/**
 * Dispute routes for shoppers (file, list their own) and merchants (list, read, evidence). Operators' routes, which
 * move money back to the card, are in ./admin-handler.ts.
 */
import { clock } from '../lib/clock.ts';
import { httpHandler } from '../lib/http.ts';
import { answer, created, ok } from '../lib/use-case.ts';
import { merchantAccess } from '../merchants/access.ts';
import { customerAccess } from '../sessions/access.ts';
import { type Filed, fileDispute } from './file.ts';
import { getMerchantDispute, listDisputes as list, submitEvidence } from './merchant.ts';
import { listMyDisputes } from './mine.ts';
import { DisputeEvidenceBody, DisputeIdParams, FileDisputeBody, ListDisputesQuery } from './schema.ts';

export const fileMyDispute = httpHandler(
  { auth: customerAccess, body: FileDisputeBody },
  async ({ principal, body, commit }) =>
    answer(
      commit,
      (filed: Filed) => (filed.created ? created(filed.dispute) : ok(filed.dispute)),
      (port) => fileDispute(principal, body, port, clock()),
    ),
);

export const listMyDisputesHandler = httpHandler(
  { auth: customerAccess, query: ListDisputesQuery },
  async ({ principal, query }) => ok(await listMyDisputes(principal, query)),
);

export const listDisputes = httpHandler(
  { auth: merchantAccess, query: ListDisputesQuery },
  async ({ principal, query }) => ok(await list(principal, query)),
);

export const getDispute = httpHandler(
  { auth: merchantAccess, params: DisputeIdParams },
  async ({ principal, params }) => ok(await getMerchantDispute(principal, params.id)),
);

const idempotency = { scope: (principal: { merchantId: string }) => principal.merchantId };

export const submitDisputeEvidence = httpHandler(
  { auth: merchantAccess, params: DisputeIdParams, body: DisputeEvidenceBody, idempotency },
  async ({ principal, params, body, commit }) =>
    answer(commit, ok, (port) => submitEvidence(principal, params.id, body.text, port, clock())),
);
