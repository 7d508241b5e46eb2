/**
 * `GET /v1/me/disputes`: the signed-in shopper's disputes, newest first, as they see them (without
 * the merchant's evidence). The customer comes from the session, never from the request.
 */
import { cursorPage } from '../lib/list-cursor.ts';
import type { MyDisputeListResponse, MyDisputeResponse } from './schema.ts';
import { listCustomerDisputes } from './store.ts';
import { toDispute } from './view.ts';

const LIST = 'my-disputes';

/**
 * A page of the customer's disputes (`limit` 1-100) after `startingAfter` (a cursor from an earlier
 * page of this customer's list; another list's cursor: 400 `invalid_cursor`).
 */
export async function listMyDisputes(
  principal: { customerId: string },
  query: { limit: number; startingAfter?: string | undefined },
): Promise<MyDisputeListResponse> {
  const { items, ...rest } = await cursorPage(
    { name: LIST, owner: principal.customerId, kind: 'dispute' },
    query,
    (limit, after) => listCustomerDisputes(principal.customerId, limit, after),
  );
  return {
    object: 'list',
    data: items.map((dispute): MyDisputeResponse => {
      const { evidence: _evidence, ...mine } = toDispute(dispute);
      return mine;
    }),
    ...rest,
  };
}
