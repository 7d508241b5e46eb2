/**
 * `POST /v1/me/credit-applications`: a shopper asks for a credit limit. Gates, each refusal audited
 * with its code and nothing written: identity `verified` (403 `identity_not_verified`), a
 * `credit_application` step-up bound to this amount and currency (403 `step_up_required` /
 * `step_up_invalid`), at most 3 applications in any 30 days (422 `credit_application_limit`). The
 * decision (./assessment.ts) uses the declared income and obligations and the repayment history
 * from orders. An approval or counter-offer sets the customer's limit in that currency, which then
 * caps their checkout authorizations. Application, window, limit, step-up use and audit commit in
 * one transaction.
 */

import { identityNotVerified, identityStatus } from '../identity/gate.ts';
import type { Clock } from '../lib/clock.ts';
import { DomainError } from '../lib/errors.ts';
import { auditedGate } from '../lib/gate-audit.ts';
import { newId } from '../lib/ids.ts';
import { usdMinorEquivalent } from '../lib/money.ts';
import type { OriginHashes } from '../lib/origin.ts';
import { conditionHolds, type TransactItem, Transaction } from '../lib/transactions.ts';
import type { Commit } from '../lib/use-case.ts';
import { screenMoneyOut } from '../monitoring/risk.ts';
import type { RepaymentHistory } from '../orders/collection-face.ts';
import { assessCredit } from './assessment.ts';
import { APPLICATION_WINDOW_MS, APPLICATIONS_PER_WINDOW, creditLimits } from './policy.ts';
import type { CreditApplicationBody, CreditApplicationResponse } from './schema.ts';
import * as store from './store.ts';

export interface CreditPorts {
  requireStepUp(input: {
    headers: Record<string, string | undefined>;
    customerId: string;
    action: 'credit_application';
    amount: { amount: number; currency: string };
  }): Promise<TransactItem>;
  repaymentHistory(customerId: string): Promise<RepaymentHistory>;
}

const stepUpUsed = () =>
  new DomainError('denied', 'step_up_invalid', 'The step-up token was already used; step up again.');

/** The applications still inside the rolling window, and 422 when they are already the maximum. */
async function recentApplications(customerId: string, now: Date) {
  const window = await store.getWindow(customerId);
  const since = now.getTime() - APPLICATION_WINDOW_MS;
  const recent = (window?.recent ?? []).filter((at) => new Date(at).getTime() > since);
  if (recent.length >= APPLICATIONS_PER_WINDOW) {
    throw new DomainError(
      'rejected',
      'credit_application_limit',
      `At most ${APPLICATIONS_PER_WINDOW} credit applications in 30 days; the next is possible after ${new Date(new Date(recent[0] ?? now).getTime() + APPLICATION_WINDOW_MS).toISOString()}.`,
    );
  }
  return { recent, version: window?.version };
}

export async function applyForCredit(
  principal: { customerId: string; origin?: OriginHashes },
  body: CreditApplicationBody,
  headers: Record<string, string | undefined>,
  ports: CreditPorts,
  commit: Commit<CreditApplicationResponse>,
  clock: Clock,
): Promise<CreditApplicationResponse> {
  const { customerId } = principal;
  const metadata = { amount: body.amount, currency: body.currency, months: body.months };
  const gate = { gate: 'credit_application', customerId, metadata };
  return auditedGate(gate, clock, async (allowed) => {
    const status = await identityStatus(customerId, clock);
    if (status !== 'verified') throw identityNotVerified(status);
    const risk = await screenMoneyOut(
      {
        action: 'credit_application',
        customerId,
        amountUsdMinor: usdMinorEquivalent(body.amount, body.currency),
        ...principal.origin,
      },
      clock,
    );
    const amount = { amount: body.amount, currency: body.currency };
    const stepUp = await ports.requireStepUp({ headers, customerId, action: 'credit_application', amount });
    // A used token is refused as such, before the application window is looked at.
    if (!(await conditionHolds(stepUp))) throw stepUpUsed();
    const now = clock.now();
    const window = await recentApplications(customerId, now);
    const history = await ports.repaymentHistory(customerId);
    const assessment = assessCredit({ ...body, history }, creditLimits());
    const application: CreditApplicationResponse = {
      object: 'credit_application',
      id: newId('creditApplication', now),
      decision: assessment.decision,
      amount: body.amount,
      currency: body.currency,
      months: body.months,
      limit: assessment.limit,
      reasons: assessment.reasons,
      createdAt: now.toISOString(),
    };
    const tx = new Transaction<'stepUp' | 'window' | 'application' | 'limit' | 'audit'>()
      .add('stepUp', stepUp)
      .add(
        'window',
        store.putWindowItem(customerId, [...window.recent, application.createdAt], window.version),
      )
      .add('application', store.putApplicationItem(customerId, application));
    if (assessment.decision !== 'declined') {
      const limit = {
        currency: body.currency,
        limit: assessment.limit,
        applicationId: application.id,
        decidedAt: application.createdAt,
      };
      tx.add('limit', store.putLimitItem(customerId, limit));
    }
    const decided = {
      applicationId: application.id,
      decision: assessment.decision,
      limit: assessment.limit,
    };
    const checks = {
      identity: status,
      risk: risk.decision,
      stepUp: 'verified',
      applicationsIn30Days: `${window.recent.length + 1}/${APPLICATIONS_PER_WINDOW}`,
    };
    tx.add('audit', allowed(checks, decided));
    await tx.write(
      (items) => commit(items, application),
      (cancelled) =>
        cancelled.lost('stepUp')
          ? stepUpUsed()
          : new DomainError(
              'conflict',
              'concurrent_update',
              'Another application was made meanwhile; retry.',
            ),
    );
    return application;
  });
}
