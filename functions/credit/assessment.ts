/**
 * The credit decision: a pure, deterministic function of the declared income and obligations, the
 * requested amount and term, and the repayment history. The same inputs always give the same
 * decision, limit and reasons (integer minor units only; no clock, no randomness).
 *
 *   1. an order in arrears, or more failed than collected installments -> declined;
 *   2. disposable income = income - obligations (monthly); none -> declined;
 *   3. affordable = floor(disposable * 40%) * months (what the shopper can repay over the term);
 *   4. cap = the maximum limit with a clean history (>= 3 installments paid on time, none late or
 *      failed), else the thin-file limit;
 *   5. limit = min(affordable, cap): >= amount -> approved for the amount; >= the minimum offer ->
 *      counter-offer of the limit; below -> declined.
 * Affordability in the spirit of the Consumer Credit Directive (EU) 2023/2225 Art. 18 and the
 * CFPB's ability-to-repay rule: the decision rests on income, obligations and history.
 */
import type { CurrencyCode } from '../lib/money.ts';
import { AFFORDABILITY_BPS, type CreditLimits } from './policy.ts';

export interface RepaymentRecord {
  paidOnTime: number;
  paidLate: number;
  failed: number;
  ordersInArrears: number;
}

export interface CreditInput {
  amount: number;
  currency: CurrencyCode;
  months: number;
  monthlyIncome: number;
  monthlyObligations: number;
  history: RepaymentRecord;
}

export type CreditDecision = 'approved' | 'counter_offer' | 'declined';

export interface CreditAssessment {
  decision: CreditDecision;
  /** The approved limit (the amount, or the counter-offer); 0 when declined. */
  limit: number;
  reasons: string[];
}

const declined = (...reasons: string[]): CreditAssessment => ({ decision: 'declined', limit: 0, reasons });

function historyCap(input: CreditInput, limits: CreditLimits): { cap: number; reason: string } {
  const { history, currency } = input;
  if (history.failed > 0 || history.paidLate > 0) {
    return { cap: limits.thinFile(currency), reason: 'late_or_missed_payments' };
  }
  if (history.paidOnTime < 3) return { cap: limits.thinFile(currency), reason: 'limited_repayment_history' };
  return { cap: limits.max(currency), reason: 'good_repayment_history' };
}

export function assessCredit(input: CreditInput, limits: CreditLimits): CreditAssessment {
  const { history } = input;
  if (history.ordersInArrears > 0) return declined('order_in_arrears');
  if (history.failed > history.paidOnTime + history.paidLate) return declined('poor_repayment_history');
  const disposable = input.monthlyIncome - input.monthlyObligations;
  if (disposable <= 0) return declined('no_disposable_income');
  const monthly = Number((BigInt(disposable) * BigInt(AFFORDABILITY_BPS)) / 10_000n);
  const affordable = monthly * input.months;
  const { cap, reason } = historyCap(input, limits);
  const limit = Math.min(affordable, cap);
  const binding = affordable <= cap ? 'affordability' : reason;
  if (limit >= input.amount) {
    return { decision: 'approved', limit: input.amount, reasons: ['affordable', reason] };
  }
  if (limit >= limits.minOffer(input.currency)) {
    return { decision: 'counter_offer', limit, reasons: [binding] };
  }
  return declined(binding === 'affordability' ? 'insufficient_affordability' : binding);
}
