import { randomBytes } from 'node:crypto';
import {
  assertAmountWithinLimits,
  DEFAULT_PLAN_CATALOGUE,
  findPlan,
  type Plan,
  type PlanCatalogue,
  type PlanId,
} from '../installments/plans.ts';
import { buildSchedule, type Schedule } from '../installments/schedule.ts';
import { auditItem } from '../lib/audit.ts';
import type { Clock } from '../lib/clock.ts';
import { badRequest, conflict, forbidden, notFound, unprocessable } from '../lib/errors.ts';
import type { HttpResult } from '../lib/http.ts';
import { newId } from '../lib/ids.ts';
import { type CurrencyCode, formatMoney } from '../lib/money.ts';
import { type TransactItem, Transaction } from '../lib/transactions.ts';
import { AUTHORIZATION_TOKEN_TTL_MS, checkoutConfig, SESSION_TTL_MS } from './policy.ts';
import type {
  AuthorizeCheckoutBody,
  CheckoutAuthorizationResponse,
  CheckoutSessionResponse,
  CreateCheckoutSessionBody,
} from './schema.ts';
import * as store from './store.ts';

type Commit = (items: TransactItem[], result: HttpResult) => Promise<HttpResult>;

/** Plans the API can schedule: a subscription has no fixed schedule to approve. */
const SCHEDULABLE: ReadonlySet<PlanId> = new Set(['pay_in_4', 'pay_in_30', 'monthly']);

/**
 * The plans a session offers: those asked for (default: every offered, schedulable plan) whose limits
 * admit the amount. 422 when a plan asked for is not offered, or when no plan admits the amount.
 */
export function eligiblePlans(
  amount: number,
  currency: CurrencyCode,
  requested: PlanId[] | undefined,
  catalogue: PlanCatalogue = DEFAULT_PLAN_CATALOGUE,
): PlanId[] {
  const candidates: Plan[] = requested
    ? requested.map((id) => {
        const plan = catalogue.plans.find((candidate) => candidate.id === id);
        if (!plan?.offered || !SCHEDULABLE.has(plan.id)) {
          throw unprocessable('plan_not_offered', `The plan ${id} is not offered at checkout.`, 'plans');
        }
        return plan;
      })
    : catalogue.plans.filter((plan) => plan.offered && SCHEDULABLE.has(plan.id));
  if (!candidates.some((plan) => plan.limits[currency])) {
    throw unprocessable('currency_not_offered', `No plan offered here accepts ${currency}.`, 'currency');
  }
  const eligible = candidates.filter((plan) => {
    const range = plan.limits[currency];
    return range !== undefined && amount >= range.min && amount <= range.max;
  });
  if (eligible.length === 0) {
    const limits = candidates
      .map((plan) => {
        const range = plan.limits[currency];
        return range
          ? `${plan.id} ${formatMoney(range.min, currency)}–${formatMoney(range.max, currency)}`
          : undefined;
      })
      .filter(Boolean)
      .join('; ');
    throw unprocessable(
      'amount_out_of_range',
      `${formatMoney(amount, currency)} is outside the limits of every plan offered (${limits}).`,
      'amount',
    );
  }
  return eligible.map((plan) => plan.id);
}

export function sessionResponse(
  session: store.CheckoutSessionRecord,
  clientToken: string,
): CheckoutSessionResponse {
  return {
    id: session.id,
    object: 'checkout_session',
    clientToken,
    status: session.status,
    amount: session.amount,
    currency: session.currency,
    merchantReference: session.merchantReference,
    plans: session.plans,
    livemode: session.livemode,
    expiresAt: session.expiresAt,
    createdAt: session.createdAt,
  };
}

export async function createSession(
  principal: { merchantId: string; livemode: boolean },
  body: CreateCheckoutSessionBody,
  commit: Commit,
  clock: Clock,
): Promise<HttpResult> {
  const plans = eligiblePlans(body.amount, body.currency, body.plans);
  const now = clock.now();
  const id = newId('checkoutSession', now);
  // Stripe-style client secret: names its session, and carries 192 random bits.
  const clientToken = `${id}_secret_${randomBytes(24).toString('base64url')}`;
  const expiresAtMs = now.getTime() + SESSION_TTL_MS;
  const session: store.CheckoutSessionRecord = {
    id,
    merchantId: principal.merchantId,
    livemode: principal.livemode,
    amount: body.amount,
    currency: body.currency,
    merchantReference: body.merchantReference,
    plans,
    clientTokenHash: store.sha256(clientToken),
    status: 'open',
    expiresAt: new Date(expiresAtMs).toISOString(),
    expiresAtMs,
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
    version: 1,
    // Kept a month past expiry for support questions, then removed by TTL.
    ttl: Math.floor((expiresAtMs + 30 * 86_400_000) / 1000),
  };
  return commit([store.putSessionItem(session)], {
    status: 201,
    body: sessionResponse(session, clientToken),
  });
}

/** What authorization needs from the vault and from two-factor step-up (injected by the handler). */
export interface AuthorizePorts {
  getCard(
    customerId: string,
    token: string,
  ): Promise<{ token: string; brand: string; last4: string; expMonth: number; expYear: number }>;
  requireStepUp(input: {
    headers: Record<string, string | undefined>;
    customerId: string;
    action: 'authorize_checkout';
    amount: { amount: number; currency: CurrencyCode };
    payee: string;
  }): Promise<TransactItem>;
}

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
 * The shopper approves a merchant's session with a plan and one of their saved cards. The result is
 * an authorizationToken the merchant redeems once, within 60 minutes, for an order. Above the
 * configured amount the request must carry a step-up token bound to this amount and merchant.
 */
export async function authorize(
  principal: { customerId: string },
  sessionId: string,
  body: AuthorizeCheckoutBody,
  headers: Record<string, string | undefined>,
  ports: AuthorizePorts,
  commit: Commit,
  clock: Clock,
): Promise<HttpResult> {
  const now = clock.now();
  const nowMs = now.getTime();
  const session = await store.getSession(sessionId);
  if (!session) throw notFound(`No such checkout session: ${sessionId}.`, 'id');
  if (session.status !== 'open') {
    throw unprocessable('checkout_session_completed', 'This checkout session already has an order.');
  }
  if (nowMs >= session.expiresAtMs) {
    throw unprocessable('checkout_session_expired', 'This checkout session has expired.');
  }
  if (!session.plans.includes(body.plan)) {
    throw unprocessable('plan_not_offered', `This checkout does not offer the plan ${body.plan}.`, 'plan');
  }
  const plan = findPlan(body.plan);
  assertAmountWithinLimits(plan, session.amount, session.currency);
  if (plan.id === 'monthly' && body.termMonths === undefined) {
    throw badRequest('parameter_missing', 'Missing required parameter: termMonths.', 'termMonths');
  }
  if (plan.id !== 'monthly' && body.termMonths !== undefined) {
    throw badRequest('parameter_invalid', 'termMonths applies to the monthly plan only.', 'termMonths');
  }
  const aprBps = plan.id === 'monthly' ? checkoutConfig().monthlyAprBps : undefined;
  // Validates the term against the catalogue (422) and shows the shopper what they agree to.
  const schedule = buildSchedule(body.plan, session.amount, session.currency, now, {
    ...(body.termMonths === undefined ? {} : { termMonths: body.termMonths }),
    ...(aprBps === undefined ? {} : { aprBps }),
  });

  const card = await ports.getCard(principal.customerId, body.cardToken);
  if (cardExpired(card, now)) throw unprocessable('card_expired', 'The card has expired.', 'cardToken');

  const tx = new Transaction<'stepUp' | 'authorization' | 'session' | 'audit'>();
  const stepUpRequired = session.amount > checkoutConfig().stepUpThreshold(session.currency);
  if (stepUpRequired) {
    tx.add(
      'stepUp',
      await ports.requireStepUp({
        headers,
        customerId: principal.customerId,
        action: 'authorize_checkout',
        amount: { amount: session.amount, currency: session.currency },
        payee: session.merchantId,
      }),
    );
  }

  const authorizationToken = `authz_${randomBytes(32).toString('base64url')}`;
  const expiresAtMs = nowMs + AUTHORIZATION_TOKEN_TTL_MS;
  const record: store.AuthorizationRecord = {
    tokenHash: store.sha256(authorizationToken),
    merchantId: session.merchantId,
    livemode: session.livemode,
    checkoutSessionId: session.id,
    merchantReference: session.merchantReference,
    customerId: principal.customerId,
    plan: body.plan,
    ...(body.termMonths === undefined ? {} : { termMonths: body.termMonths }),
    ...(aprBps === undefined ? {} : { aprBps }),
    amount: session.amount,
    currency: session.currency,
    cardToken: card.token,
    cardBrand: card.brand,
    cardLast4: card.last4,
    status: 'unused',
    expiresAt: new Date(expiresAtMs).toISOString(),
    expiresAtMs,
    createdAt: now.toISOString(),
    ttl: Math.floor((expiresAtMs + 86_400_000) / 1000),
  };
  tx.add('authorization', store.putAuthorizationItem(record))
    .add('session', store.sessionStillOpenItem(session.id, nowMs))
    .add(
      'audit',
      auditItem(
        {
          action: 'checkout.authorized',
          subject: session.id,
          actor: principal.customerId,
          metadata: {
            merchantId: session.merchantId,
            plan: body.plan,
            amount: session.amount,
            currency: session.currency,
            stepUp: stepUpRequired,
          },
        },
        clock,
      ),
    );

  const response: CheckoutAuthorizationResponse = {
    object: 'checkout_authorization',
    authorizationToken,
    expiresAt: record.expiresAt,
    checkoutSessionId: session.id,
    plan: body.plan,
    ...(body.termMonths === undefined ? {} : { termMonths: body.termMonths }),
    amount: session.amount,
    currency: session.currency,
    schedulePreview: schedulePreview(schedule),
  };
  try {
    return await commit(tx.items, { status: 200, body: response });
  } catch (error) {
    const cancelled = tx.cancellation(error);
    if (!cancelled) throw error;
    if (cancelled.lost('session')) {
      throw unprocessable(
        'checkout_session_completed',
        'This checkout session was completed or expired meanwhile.',
      );
    }
    if (cancelled.lost('stepUp')) {
      // The step-up token was used by a concurrent request: it approves exactly one.
      throw forbidden(
        'step_up_invalid',
        'The step-up token is invalid, expired, already used, or was issued for another action, amount or payee.',
      );
    }
    throw conflict('concurrent_update', 'The checkout changed while it was being approved; retry.');
  }
}
