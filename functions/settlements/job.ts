import { clock } from '../lib/clock.ts';
import { runPayouts } from './payouts.ts';

/**
 * The scheduled payout job (EventBridge Scheduler, hourly; infra/jobs.ts): each merchant is paid once
 * its local business day has ended. The local scheduler passes `asOf` (today) on manual runs only;
 * an ISO day pays that day for every merchant.
 */
export async function payMerchants(input: { asOf?: string } = {}) {
  return runPayouts(input.asOf, clock());
}
