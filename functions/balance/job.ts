import { clock } from '../lib/clock.ts';
import { cardProcessor } from '../payments/processor.ts';
import { reconcileWithdrawals } from './reconcile.ts';

/**
 * The scheduled withdrawal reconciler (EventBridge Scheduler, every 15 minutes; infra/jobs.ts):
 * settles withdrawals left `pending` by a payout whose answer was lost (./reconcile.ts).
 */
export async function reconcilePendingWithdrawals(_input: { asOf?: string } = {}) {
  return reconcileWithdrawals(cardProcessor(), clock());
}
