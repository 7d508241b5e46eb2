/**
 * Operators' dispute routes: the queue, one dispute, and the resolution (which refunds collected
 * money through the payments face's processor, by charge id: no card number involved).
 */
import { clock } from '../lib/clock.ts';
import { httpHandler, operatorAccess } from '../lib/http.ts';
import { answer, ok } from '../lib/use-case.ts';
import { cardProcessor } from '../payments/processor.ts';
import { listDisputeQueue } from './merchant.ts';
import { requireDispute, resolveDispute as resolve } from './resolve.ts';
import { AdminListDisputesQuery, DisputeIdParams, ResolveDisputeBody } from './schema.ts';
import { toDispute } from './view.ts';

export const adminListDisputes = httpHandler(
  { auth: operatorAccess, query: AdminListDisputesQuery },
  async ({ query }) => ok(await listDisputeQueue(query)),
);

export const adminGetDispute = httpHandler(
  { auth: operatorAccess, params: DisputeIdParams },
  async ({ params }) => ok(toDispute(await requireDispute(params.id))),
);

export const resolveDispute = httpHandler(
  { auth: operatorAccess, params: DisputeIdParams, body: ResolveDisputeBody },
  async ({ principal, params, body, commit }) =>
    answer(commit, ok, (port) => resolve(principal, params.id, body, port, clock(), cardProcessor)),
);
