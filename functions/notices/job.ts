/**
 * The `notice-delivery` job (EventBridge Scheduler every minute; the local scheduler every few
 * seconds): sends the shopper notices waiting in the outbox (lib/notify-once.ts), those the charger
 * stored from the card-data network, which cannot reach SES or SNS, and those whose send failed.
 */
import { clock } from '../lib/clock.ts';
import { deliverPendingNotices, type NoticeDeliveryResult } from '../lib/notify-once.ts';

export async function deliverNotices(_input: { asOf?: string } = {}): Promise<NoticeDeliveryResult> {
  return deliverPendingNotices(clock().now());
}
