/**
 * `autoCapture` on order creation (Klarna's `auto_capture`, for digital goods delivered at once):
 * the order is created and captured in full in ONE transaction (so there is never an authorized
 * order left behind by a crash), as two versions with their two events: `order.authorized`
 * (sequence 1) and `order.captured` (sequence 2). The capture is the one `POST …/captures` makes
 * (./capture.ts `newCapture`): installments due today are `charging` at attempt 1, in the `due`
 * index, and handed to the charger after the commit exactly as a capture's are
 * (./charge-requests.ts `requestCharges`: the charger is the only function that detokenizes).
 */
import type { Clock } from '../lib/clock.ts';
import type { TransactItem } from '../lib/transactions.ts';
import { newCapture } from './capture.ts';
import { orderEventItems } from './events.ts';
import type { OrderPartition, OrderRecord } from './model.ts';
import { statusAfterCapture } from './state.ts';
import * as store from './store.ts';
import { orderTotals } from './totals.ts';

/** The authorized order captured in full at `now`: the partition to answer with, and the items that write it. */
export function autoCaptured(
  authorized: OrderRecord,
  now: Date,
  clock: Clock,
): { partition: OrderPartition; items: TransactItem[] } {
  const { capture, installments } = newCapture(authorized, authorized.amount, now);
  const order: OrderRecord = {
    ...authorized,
    status: statusAfterCapture(authorized),
    ...orderTotals([capture], installments),
    captureCount: 1,
    version: authorized.version + 1,
  };
  return {
    partition: { order, captures: [capture], installments, refunds: [] },
    items: [
      // Written once, in its captured state; fully captured, so no authorization expiry marker.
      store.putOrderItem(order),
      store.putCaptureItem(capture),
      ...installments.map(store.putInstallmentItem),
      ...orderEventItems('order.authorized', authorized, clock),
      ...orderEventItems('order.captured', order, clock),
    ],
  };
}
