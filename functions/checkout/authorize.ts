/** The shopper's approval of a checkout session: a plan and a saved card, for an authorizationToken. */
import { creditLimitCheckItem, creditRefusal } from '../credit/limit.ts';
import { assertAmountWithinLimits, buildSchedule, findPlan, type Schedule } from '../installments/terms.ts';
import { auditItem } from '../lib/audit.ts';
import type { Clock } from '../lib/clock.ts';
import { type CodeOfKind, DomainError } from '../lib/errors.ts';
import { auditedGate } from '../lib/gate-audit.ts';
import { type CurrencyCode, usdMinorEquivalent } from '../lib/money.ts';
import { type OrderData, orderDataOf } from '../lib/order-lines.ts';
import { type TransactItem, Transaction } from '../lib/transactions.ts';
import type { Commit } from '../lib/use-case.ts';
import { isMerchantActive, merchantActiveItem } from '../merchants/access.ts';
import type { RiskDecision, RiskEvent, StagedRiskDecision } from '../monitoring/risk.ts';
import { approvalTokenFor, mintApproval, newApprovalNonce } from './approval.ts';
import { type CheckoutStepUpPort, checkoutGateChecks, checkoutStepUp } from './approval-gates.ts';
import { AUTHORIZATION_TOKEN_TTL_MS, checkoutConfig } from './policy.ts';
import type { AuthorizeCheckoutBody, CheckoutAuthorizationResponse } from './schema.ts';
import { sessionForClient } from './session.ts';
import * as store from './store.ts';

/** What authorization needs from the vault and from two-factor step-up (injected by the handler). */
export interface AuthorizePorts {
  getCard(
    customerId: string,
    token: string,
  ): Promise<{
    token: string;
    brand: string;
    last4: string;
    expMonth: number;
    expYear: number;
    fingerprintId?: string;
  }>;
  /**
   * Account monitoring's real-time assessment (the handler adds the request's device and IP), staged:
   * `carried` rides on the approval item (monitoring/risk.ts `assessRiskStaged`).
   */
  assessRisk(event: Omit<RiskEvent, 'deviceId' | 'ipHash'>): Promise<StagedRiskDecision>;
  /** The refusal a risk decision calls for (reveals no rule), or undefined to go on. */
  riskRefusal(decision: RiskDecision): Error | undefined;
  requireStepUp: CheckoutStepUpPort['requireStepUp'];
}

const refused = (code: CodeOfKind<'rejected'>, message: string, param?: string) =>
  new DomainError('rejected', code, message, param);

function cardExpired(card: { expMonth: number; expYear: number }, now: Date): boolean {
  const year = now.getUTCFullYear();
  return card.expYear < year || (card.expYear === year && card.expMonth < now.getUTCMonth() + 1);
}

export function schedulePreview(schedule: Schedule) {
  return {
    installments: schedule.installments.map(({ seq, dueDate, amount, principal, interest }) => ({
      seq,
      dueDate,
      amount,
      principal,
      interest,
    })),
    disclosure: schedule.disclosure,
  };
}

/**
 * The session the shopper may approve: it exists (not_found), the caller holds its client secret
 * (denied `client_token_invalid`), it is open and unexpired, and no other shopper approved it
 * (rejected `checkout_session_completed`, `_expired`, `_approved`).
 */
async function approvableSession(
  sessionId: string,
  customerId: string,
  clientToken: string,
  nowMs: number,
): Promise<store.CheckoutSessionRecord> {
  const session = await sessionForClient(sessionId, clientToken);
  if (session.status !== 'open') {
    throw refused('checkout_session_completed', 'This checkout session already has an order.');
  }
  if (nowMs >= session.expiresAtMs) {
    throw refused('checkout_session_expired', 'This checkout session has expired.');
  }
  if (session.approvedBy !== undefined && session.approvedBy !== customerId) throw approvedByAnother();
  return session;
}

/** The session's order data for the approval, only when the session has some. */
function orderDataTerms(session: store.CheckoutSessionRecord): { orderData?: OrderData } {
  const orderData = orderDataOf(session);
  return Object.keys(orderData).length > 0 ? { orderData } : {};
}

const merchantUnavailable = () =>
  refused('merchant_unavailable', 'This merchant cannot take approvals right now.');

const approvedByAnother = () =>
  refused('checkout_session_approved', 'This checkout session was approved by another shopper.');

/**
 * The plan terms the shopper chose, checked against the session and the catalogue, and the schedule
 * they agree to (its build validates the term: rejected). Refuses a plan the session does not offer
 * (rejected) and a term missing or given where it does not apply (invalid).
 */
function chosenTerms(session: store.CheckoutSessionRecord, body: AuthorizeCheckoutBody, now: Date) {
  if (!session.plans.includes(body.plan)) {
    throw refused('plan_not_offered', `This checkout does not offer the plan ${body.plan}.`, 'plan');
  }
  const plan = findPlan(body.plan);
  assertAmountWithinLimits(plan, session.amount, session.currency);
  if (plan.id === 'monthly' && body.termMonths === undefined) {
    throw new DomainError(
      'invalid',
      'parameter_missing',
      'Missing required parameter: termMonths.',
      'termMonths',
    );
  }
  if (plan.id !== 'monthly' && body.termMonths !== undefined) {
    throw new DomainError(
      'invalid',
      'parameter_invalid',
      'termMonths applies to the monthly plan only.',
      'termMonths',
    );
  }
  const aprBps = plan.id === 'monthly' ? checkoutConfig().monthlyAprBps : undefined;
  const terms = {
    ...(body.termMonths === undefined ? {} : { termMonths: body.termMonths }),
    ...(aprBps === undefined ? {} : { aprBps }),
  };
  return { terms, schedule: buildSchedule(body.plan, session.amount, session.currency, now, terms) };
}

/**
 * Why a cancelled approval failed: the session moved on (another shopper approved it, or it was
 * completed or expired; re-read to tell which), or the step-up was used meanwhile.
 */
async function approvalFailure(
  cancelled: { lost(part: 'session' | 'stepUp' | 'merchant' | 'credit'): boolean },
  sessionId: string,
  customerId: string,
  amount: { amount: number; currency: CurrencyCode },
  clock: Clock,
): Promise<DomainError> {
  if (cancelled.lost('session')) {
    const session = await store.getSession(sessionId);
    if (session?.status === 'open' && session.approvedBy !== undefined && session.approvedBy !== customerId) {
      return approvedByAnother();
    }
    return refused('checkout_session_completed', 'This checkout session was completed or expired meanwhile.');
  }
  if (cancelled.lost('merchant')) return merchantUnavailable();
  if (cancelled.lost('credit')) {
    // Over the limit with what is outstanding, or another authorization came in between (functions/credit).
    // A refusal (422 credit_limit_exceeded) is audited by the checkout's gate (lib/gate-audit.ts).
    return creditRefusal(customerId, amount.amount, amount.currency, clock);
  }
  if (cancelled.lost('stepUp')) {
    // The step-up token was used by a concurrent request: it approves exactly one.
    return new DomainError(
      'denied',
      'step_up_invalid',
      'The step-up token is invalid, expired, already used, or was issued for another action, amount or payee.',
    );
  }
  return new DomainError(
    'conflict',
    'concurrent_update',
    'The checkout changed while it was being approved; retry.',
  );
}

/**
 * The shopper approves a merchant's session with a plan and one of their saved cards. The result is
 * an authorizationToken the merchant redeems once, within 60 minutes, for an order. Above the
 * configured amount the request must carry a step-up token bound to this amount and merchant.
 * The approval, the session's approval by this shopper, the step-up's consumption and the audit
 * commit in one transaction, conditioned on the merchant being active. Refusals: not_found
 * (session); denied `client_token_invalid`; rejected `merchant_unavailable`,
 * `checkout_session_approved`, `checkout_session_completed`,
 * `checkout_session_expired`, `plan_not_offered`, `card_expired`, `credit_limit_exceeded` (with what
 * is already outstanding, above the limit a credit application granted); invalid (term); denied `step_up_invalid`; conflict
 * `concurrent_update`. Account monitoring assesses the approval first (monitoring/risk.ts): a
 * decline is 402 `risk_declined`, a review held for an operator 403 `risk_review_hold`, and a review
 * demanding a step-up makes the step-up required at any amount.
 */
export async function authorize(
  principal: { customerId: string },
  sessionId: string,
  body: AuthorizeCheckoutBody,
  headers: Record<string, string | undefined>,
  ports: AuthorizePorts,
  commit: Commit<CheckoutAuthorizationResponse>,
  clock: Clock,
): Promise<CheckoutAuthorizationResponse> {
  const now = clock.now();
  const session = await approvableSession(sessionId, principal.customerId, body.clientToken, now.getTime());
  const { terms, schedule } = chosenTerms(session, body, now);
  // The merchant check and the card read with its risk assessment are independent: run together,
  // so the assessment's one read costs no round trip of its own. Refusals keep a fixed order.
  // The credit part's reads (the limit, and what is outstanding under one) run with them too.
  const [active, assessed, credit] = await Promise.allSettled([
    isMerchantActive(session.merchantId),
    cardAndRisk(principal.customerId, session, body.cardToken, ports, now),
    creditLimitCheckItem(
      principal.customerId,
      session.amount,
      session.currency,
      {
        checkoutSessionId: session.id,
        expiresAt: new Date(now.getTime() + AUTHORIZATION_TOKEN_TTL_MS).toISOString(),
      },
      clock,
    ),
  ]);
  if (active.status === 'rejected') throw active.reason;
  // A suspended merchant takes no approvals, for sessions opened before the suspension too.
  if (!active.value) throw merchantUnavailable();
  if (assessed.status === 'rejected') throw assessed.reason;
  if (credit.status === 'rejected') throw credit.reason;
  const { card, risk } = assessed.value;
  return approve(
    principal,
    session,
    body,
    headers,
    { ports, risk, terms, schedule, card, now, credit: credit.value },
    commit,
    clock,
  );
}

/** The shopper's card (refused when expired) and the risk assessment of paying with it. */
async function cardAndRisk(
  customerId: string,
  session: store.CheckoutSessionRecord,
  cardToken: string,
  ports: AuthorizePorts,
  now: Date,
) {
  const card = await ports.getCard(customerId, cardToken);
  if (cardExpired(card, now)) throw refused('card_expired', 'The card has expired.', 'cardToken');
  const risk = await ports.assessRisk({
    action: 'checkout',
    customerId,
    amountUsdMinor: usdMinorEquivalent(session.amount, session.currency),
    ...(card.fingerprintId ? { cardFingerprint: card.fingerprintId } : {}),
    cardToken: card.token,
  });
  return { card, risk };
}

/** `item` (a Put) with `attributes` added to the item it inserts. */
function carrying(item: TransactItem, attributes: object | undefined): TransactItem {
  if (!attributes || !item.Put) return item;
  return { ...item, Put: { ...item.Put, Item: { ...item.Put.Item, ...attributes } } };
}

/** What the approval needs beside the session: read and checked beforehand by `authorize`. */
interface ApprovalContext {
  ports: AuthorizePorts;
  risk: Awaited<ReturnType<AuthorizePorts['assessRisk']>>;
  terms: ReturnType<typeof chosenTerms>['terms'];
  schedule: Schedule;
  card: Awaited<ReturnType<AuthorizePorts['getCard']>>;
  now: Date;
  /** The credit-limit part, read beforehand (its hold expires with the approval). */
  credit: TransactItem;
}

/** The approval (item and token) for this shopper, card, plan and risk decision, and its nonce. */
async function approvalFor(
  customerId: string,
  session: store.CheckoutSessionRecord,
  body: AuthorizeCheckoutBody,
  { terms, card, risk, now }: ApprovalContext,
) {
  const nonce = newApprovalNonce();
  const approval = mintApproval(
    {
      merchantId: session.merchantId,
      livemode: session.livemode,
      checkoutSessionId: session.id,
      merchantReference: session.merchantReference,
      ...orderDataTerms(session),
      customerId,
      plan: body.plan,
      ...terms,
      amount: session.amount,
      currency: session.currency,
      cardToken: card.token,
      ...(card.fingerprintId ? { cardFingerprint: card.fingerprintId } : {}),
      cardBrand: card.brand,
      cardLast4: card.last4,
      riskDecision: {
        id: risk.id,
        decision: risk.decision === 'review' ? 'review' : 'approve',
        score: risk.score,
      },
    },
    now,
    await approvalTokenFor(session.id, nonce),
  );
  return { approval, nonce };
}

/**
 * The approval's transaction, once the session and the card allow it, behind the checkout's gates
 * (the risk screen, the step-up, the credit limit), each decision audited as `gate.authorize_checkout`
 * (lib/gate-audit.ts): allowed in the approval's own transaction, a refusal with its code.
 */
async function approve(
  principal: { customerId: string },
  session: store.CheckoutSessionRecord,
  body: AuthorizeCheckoutBody,
  headers: Record<string, string | undefined>,
  context: ApprovalContext,
  commit: Commit<CheckoutAuthorizationResponse>,
  clock: Clock,
): Promise<CheckoutAuthorizationResponse> {
  const { ports, risk, schedule, now } = context;
  const amount = { amount: session.amount, currency: session.currency };
  const gate = {
    gate: 'authorize_checkout',
    customerId: principal.customerId,
    metadata: { checkoutSessionId: session.id, merchantId: session.merchantId, ...amount },
  };
  return auditedGate(gate, clock, async (allowed) => {
    const refusal = ports.riskRefusal(risk);
    if (refusal) throw refusal;
    const stepUp = await checkoutStepUp(principal.customerId, session, headers, ports, risk);
    const tx = new Transaction<
      'stepUp' | 'authorization' | 'session' | 'merchant' | 'credit' | 'audit' | 'gate'
    >();
    if (stepUp) tx.add('stepUp', stepUp);
    // The merchant reads this approval back from the session (GET /v1/checkout-sessions/{id}).
    const { approval, nonce } = await approvalFor(principal.customerId, session, body, context);
    const metadata = {
      merchantId: session.merchantId,
      plan: body.plan,
      ...amount,
      stepUp: stepUp !== undefined,
      riskDecisionId: risk.id,
      risk: risk.decision,
    };
    // The decision the approval rests on (riskDecision.id) rides on it: stored and counted by the risk
    // stream once the approval is inserted, never without it.
    tx.add('authorization', carrying(approval.item, risk.carried))
      .add(
        'session',
        store.approveSessionItem(session.id, principal.customerId, now.getTime(), now.toISOString(), nonce),
      )
      .add('merchant', merchantActiveItem(session.merchantId))
      // A credit application's limit caps the shopper's outstanding total in its currency (functions/credit).
      .add('credit', context.credit)
      .add(
        'audit',
        auditItem(
          { action: 'checkout.authorized', subject: session.id, actor: principal.customerId, metadata },
          clock,
        ),
      )
      .add('gate', allowed(checkoutGateChecks(risk, stepUp, context.credit)));

    const response: CheckoutAuthorizationResponse = {
      object: 'checkout_authorization',
      authorizationToken: approval.token,
      expiresAt: approval.expiresAt,
      checkoutSessionId: session.id,
      plan: body.plan,
      ...(body.termMonths === undefined ? {} : { termMonths: body.termMonths }),
      ...amount,
      schedulePreview: schedulePreview(schedule),
    };
    await tx.write(
      (items) => commit(items, response),
      (cancelled) => approvalFailure(cancelled, session.id, principal.customerId, amount, clock),
    );
    return response;
  });
}
