/**
 * The checkout approval's own gates (beside account monitoring's risk screen): the step-up, required
 * above the per-currency threshold or when a risk review asks for it, and the credit limit (the
 * limit part of the approval's transaction: functions/credit/limit.ts). What passed, for the
 * allowed decision's audit (`gate.authorize_checkout`, lib/gate-audit.ts).
 */
import type { GateChecks } from '../lib/gate-audit.ts';
import type { CurrencyCode } from '../lib/money.ts';
import type { TransactItem } from '../lib/transactions.ts';
import type { RiskDecision } from '../monitoring/risk.ts';
import { checkoutConfig } from './policy.ts';
import type { CheckoutSessionRecord } from './store.ts';

/** Two-factor step-up, as checkout uses it (the handler binds functions/twofa's gate). */
export interface CheckoutStepUpPort {
  requireStepUp(input: {
    headers: Record<string, string | undefined>;
    customerId: string;
    action: 'authorize_checkout';
    amount: { amount: number; currency: CurrencyCode };
    payee: string;
  }): Promise<TransactItem>;
}

/**
 * The step-up gate: above the threshold in the session's currency, or when account monitoring asks
 * for it (a review that demands a step-up), the item that uses up the request's token (403
 * `step_up_required` / `step_up_invalid` from the step-up gate); otherwise undefined (not required).
 */
export async function checkoutStepUp(
  customerId: string,
  session: CheckoutSessionRecord,
  headers: Record<string, string | undefined>,
  ports: CheckoutStepUpPort,
  risk: Pick<RiskDecision, 'review'>,
): Promise<TransactItem | undefined> {
  const required =
    session.amount > checkoutConfig().stepUpThreshold(session.currency) || risk.review === 'step_up';
  if (!required) return undefined;
  return ports.requireStepUp({
    headers,
    customerId,
    action: 'authorize_checkout',
    amount: { amount: session.amount, currency: session.currency },
    payee: session.merchantId,
  });
}

/** What an allowed approval passed: the risk decision, the step-up (or not required), the credit limit. */
export function checkoutGateChecks(
  risk: Pick<RiskDecision, 'decision'>,
  stepUp: TransactItem | undefined,
  credit: TransactItem,
): GateChecks {
  return {
    risk: risk.decision,
    stepUp: stepUp ? 'verified' : 'not_required',
    // An Update holds this amount under the customer's limit; a ConditionCheck says there is none.
    creditLimit: credit.Update ? 'within' : 'none',
  };
}
