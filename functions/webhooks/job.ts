import { clock } from '../lib/clock.ts';
import { type DeliveryRunResult, deliverDue, deliverPendingNow } from './delivery.ts';

export { deliverPendingNow };

/**
 * The scheduled delivery job (EventBridge Scheduler every minute; the local scheduler every few
 * seconds). `asOf` may be an ISO instant; a bare date (what the local scheduler passes to every
 * job) means "now", since retries are minutes apart and a day boundary would be wrong either way.
 */
export async function deliverWebhooks(input: { asOf?: string } = {}): Promise<DeliveryRunResult> {
  return deliverDue({ now: asOfInstant(input.asOf) });
}

export function asOfInstant(asOf: string | undefined): Date {
  if (asOf === undefined || /^\d{4}-\d{2}-\d{2}$/.test(asOf)) return clock().now();
  const at = new Date(asOf);
  if (Number.isNaN(at.getTime())) throw new Error(`asOf is not an ISO instant: ${asOf}`);
  return at;
}
