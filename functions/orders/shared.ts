/** What the order use cases share: the caller, the tenant-scoped reads, the lost-race rule. */
import type { ScheduleOptions } from '../installments/terms.ts';
import { DomainError } from '../lib/errors.ts';
import { conflictOnCancel, type TransactItem } from '../lib/transactions.ts';
import type { Commit } from '../lib/use-case.ts';
import type { OrderPartition, OrderRecord } from './model.ts';
import * as store from './store.ts';

export interface MerchantPrincipal {
  merchantId: string;
  livemode: boolean;
}

/** How often a write outside a request re-reads and retries after losing an optimistic race. */
export const OPTIMISTIC_RETRIES = 5;

const noSuchOrder = (id: string) =>
  new DomainError('not_found', 'resource_missing', `No such order: ${id}.`, 'id');

/** The order, if it is the merchant's: another merchant's order is indistinguishable from a missing one. */
export async function requireOrder(principal: MerchantPrincipal, id: string): Promise<OrderRecord> {
  const order = await store.getOrder(id);
  if (!order || order.merchantId !== principal.merchantId) throw noSuchOrder(id);
  return order;
}

/** The whole order (captures, installments, refunds), if it is the merchant's. */
export async function requirePartition(principal: MerchantPrincipal, id: string): Promise<OrderPartition> {
  const partition = await store.getOrderPartition(id);
  if (!partition || partition.order.merchantId !== principal.merchantId) throw noSuchOrder(id);
  return partition;
}

/** The schedule terms an order (or its approval) carries. */
export function scheduleOptions(order: Pick<OrderRecord, 'termMonths' | 'aprBps'>): ScheduleOptions {
  return {
    ...(order.termMonths === undefined ? {} : { termMonths: order.termMonths }),
    ...(order.aprBps === undefined ? {} : { aprBps: order.aprBps }),
  };
}

const CONCURRENT_UPDATE = 'The order was changed by another request meanwhile; retry this request.';

/** A lost optimistic race: nothing was written; the same request (same Idempotency-Key) may be retried. */
export const concurrentUpdate = () => new DomainError('conflict', 'concurrent_update', CONCURRENT_UPDATE);

/** Commits a use case's items and outcome; a cancelled transaction is `concurrentUpdate`. */
export async function committing<T>(commit: Commit<T>, items: TransactItem[], outcome: T): Promise<T> {
  await conflictOnCancel(() => commit(items, outcome), CONCURRENT_UPDATE);
  return outcome;
}
