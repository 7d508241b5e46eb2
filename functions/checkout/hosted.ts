/**
 * What the hosted checkout page shows and where it may send the shopper, read with the session's
 * client secret (the page URL carries it): the session, its state, and the offers (each plan the
 * amount admits with its full schedule and, for monthly terms, the Reg Z disclosure).
 */
import { buildSchedule, findPlan, type PlanId, type Schedule } from '../installments/terms.ts';
import { checkoutConfig } from './policy.ts';
import { clientTokenMatches } from './session.ts';
import * as store from './store.ts';

/** The monthly terms the hosted page offers (those within the catalogue's range). */
const HOSTED_MONTHLY_TERMS = [3, 6, 12] as const;

export interface HostedOffer {
  plan: PlanId;
  termMonths?: number;
  schedule: Schedule;
}

export interface HostedSession {
  id: string;
  merchantId: string;
  amount: number;
  currency: store.CheckoutSessionRecord['currency'];
  merchantReference: string;
  state: 'open' | 'expired' | 'completed';
  approvedBy?: string;
  successUrl?: string;
  cancelUrl?: string;
  /** The recurring agreement the merchant asks for (the page asks the shopper's consent). */
  agreement?: store.CheckoutSessionRecord['agreement'];
  /** True once a shopper approved the agreement (the page offers it no more). */
  agreementApproved: boolean;
  /** Whether approving needs a step-up bound to the amount and the merchant. */
  stepUpRequired: boolean;
  offers: HostedOffer[];
}

/** The offers of a session, scheduled as if captured `now` (the real dates follow each capture). */
function offersOf(session: store.CheckoutSessionRecord, now: Date): HostedOffer[] {
  const offers: HostedOffer[] = [];
  for (const planId of session.plans) {
    const plan = findPlan(planId);
    if (plan.id !== 'monthly') {
      offers.push({ plan: planId, schedule: buildSchedule(planId, session.amount, session.currency, now) });
      continue;
    }
    const aprBps = checkoutConfig().monthlyAprBps;
    for (const termMonths of HOSTED_MONTHLY_TERMS) {
      if (termMonths < plan.termMonths.min || termMonths > plan.termMonths.max) continue;
      const schedule = buildSchedule('monthly', session.amount, session.currency, now, {
        termMonths,
        aprBps,
      });
      offers.push({ plan: 'monthly', termMonths, schedule });
    }
  }
  return offers;
}

/**
 * The session behind a hosted page's client secret, or undefined when the secret names no session
 * or is not its secret (the page answers both alike: not found). Expired and completed sessions are
 * returned with their state so the page can say so (and still offer the way back to the merchant).
 */
export async function hostedSession(clientToken: string, now: Date): Promise<HostedSession | undefined> {
  const id = /^(cs_[0-9A-HJKMNP-TV-Z]{26})_secret_[A-Za-z0-9_-]{32}$/.exec(clientToken)?.[1];
  if (!id) return undefined;
  const session = await store.getSession(id);
  if (!session || !clientTokenMatches(session, clientToken)) return undefined;
  const state =
    session.status === 'completed' ? 'completed' : now.getTime() >= session.expiresAtMs ? 'expired' : 'open';
  return {
    id: session.id,
    merchantId: session.merchantId,
    amount: session.amount,
    currency: session.currency,
    merchantReference: session.merchantReference,
    state,
    ...(session.approvedBy === undefined ? {} : { approvedBy: session.approvedBy }),
    ...(session.successUrl === undefined ? {} : { successUrl: session.successUrl }),
    ...(session.cancelUrl === undefined ? {} : { cancelUrl: session.cancelUrl }),
    ...(session.agreement === undefined ? {} : { agreement: session.agreement }),
    agreementApproved: session.agreementId !== undefined,
    stepUpRequired: session.amount > checkoutConfig().stepUpThreshold(session.currency),
    offers: state === 'open' ? offersOf(session, now) : [],
  };
}
