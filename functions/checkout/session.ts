/** Checkout sessions: a merchant offers the shopper an amount and the plans that admit it. */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import {
  DEFAULT_PLAN_CATALOGUE,
  findPlan,
  type Plan,
  type PlanCatalogue,
  type PlanId,
} from '../installments/terms.ts';
import type { AgreementTerms } from '../lib/agreement-terms.ts';
import type { Clock } from '../lib/clock.ts';
import { type CodeOfKind, DomainError } from '../lib/errors.ts';
import { newId } from '../lib/ids.ts';
import { type CurrencyCode, formatMoney } from '../lib/money.ts';
import { orderDataOf } from '../lib/order-lines.ts';
import { returnUrlProblem } from '../lib/public-origin.ts';
import type { Commit } from '../lib/use-case.ts';
import { SESSION_TTL_MS } from './policy.ts';
import type { CheckoutSessionResponse, CreateCheckoutSessionBody } from './schema.ts';
import * as store from './store.ts';

const refused = (code: CodeOfKind<'rejected'>, message: string, param?: string) =>
  new DomainError('rejected', code, message, param);

/**
 * Plans a shopper approves at checkout. A subscription is not approved as a plan: the shopper
 * approves a recurring agreement (the session's `agreement`, functions/agreements) and the merchant
 * bills it with the customer token.
 */
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
          throw refused('plan_not_offered', `The plan ${id} is not offered at checkout.`, 'plans');
        }
        return plan;
      })
    : catalogue.plans.filter((plan) => plan.offered && SCHEDULABLE.has(plan.id));
  if (!candidates.some((plan) => plan.limits[currency])) {
    throw refused('currency_not_offered', `No plan offered here accepts ${currency}.`, 'currency');
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
    throw refused(
      'amount_out_of_range',
      `${formatMoney(amount, currency)} is outside the limits of every plan offered (${limits}).`,
      'amount',
    );
  }
  return eligible.map((plan) => plan.id);
}

/**
 * The agreement a session asks for: its maximum per charge within the subscription plan's limits
 * for the currency (422 `amount_out_of_range`, param `agreement.maxAmount`).
 */
function agreementAsked(terms: AgreementTerms, currency: CurrencyCode): AgreementTerms {
  const range = findPlan('subscription').limits[currency];
  if (!range || terms.maxAmount < range.min || terms.maxAmount > range.max) {
    const limits = range ? ` (${formatMoney(range.min, currency)}–${formatMoney(range.max, currency)})` : '';
    throw refused(
      'amount_out_of_range',
      `The agreement's maxAmount is outside the subscription plan's limits in ${currency}${limits}.`,
      'agreement.maxAmount',
    );
  }
  return terms;
}

/** The hosted checkout page of a session: it carries the client secret, never stored in clear. */
export const hostedPageUrl = (baseUrl: string, clientToken: string) => `${baseUrl}/pay/${clientToken}`;

/** Refuses a return URL that is not https (loopback http locally): 400 `return_url_insecure`. */
function checkReturnUrls(body: CreateCheckoutSessionBody): void {
  for (const param of ['successUrl', 'cancelUrl'] as const) {
    const raw = body[param];
    const problem = raw === undefined ? undefined : returnUrlProblem(raw);
    if (problem) throw new DomainError('invalid', 'return_url_insecure', `${param} ${problem}.`, param);
  }
}

/** What a merchant sees of a session, secrets aside (the creation response and `GET` share it). */
export function sessionFields(session: store.CheckoutSessionRecord) {
  return {
    id: session.id,
    object: 'checkout_session' as const,
    status: session.status,
    amount: session.amount,
    currency: session.currency,
    merchantReference: session.merchantReference,
    plans: session.plans,
    livemode: session.livemode,
    expiresAt: session.expiresAt,
    createdAt: session.createdAt,
    ...(session.successUrl === undefined ? {} : { successUrl: session.successUrl }),
    ...(session.cancelUrl === undefined ? {} : { cancelUrl: session.cancelUrl }),
    ...(session.agreement === undefined ? {} : { agreement: session.agreement }),
    ...orderDataOf(session),
  };
}

export function sessionResponse(
  session: store.CheckoutSessionRecord,
  clientToken: string,
  baseUrl: string,
): CheckoutSessionResponse {
  return { ...sessionFields(session), clientToken, url: hostedPageUrl(baseUrl, clientToken) };
}

export async function createSession(
  principal: { merchantId: string; livemode: boolean },
  body: CreateCheckoutSessionBody,
  commit: Commit<CheckoutSessionResponse>,
  clock: Clock,
  baseUrl: string,
): Promise<CheckoutSessionResponse> {
  checkReturnUrls(body);
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
    ...(body.successUrl === undefined ? {} : { successUrl: body.successUrl }),
    ...(body.cancelUrl === undefined ? {} : { cancelUrl: body.cancelUrl }),
    ...(body.agreement === undefined ? {} : { agreement: agreementAsked(body.agreement, body.currency) }),
    ...orderDataOf(body),
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
  const response = sessionResponse(session, clientToken, baseUrl);
  await commit([store.putSessionItem(session)], response);
  return response;
}

/**
 * True when `clientToken` is the session's client secret (compared by SHA-256, in constant time):
 * the proof that the caller was handed this session by its merchant.
 */
export function clientTokenMatches(session: store.CheckoutSessionRecord, clientToken: string): boolean {
  const given = Buffer.from(store.sha256(clientToken), 'hex');
  const expected = Buffer.from(session.clientTokenHash, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * The session `sessionId`, for the holder of its client secret only: not_found `resource_missing`
 * (no such session), denied `client_token_invalid` (not its secret).
 */
export async function sessionForClient(
  sessionId: string,
  clientToken: string,
): Promise<store.CheckoutSessionRecord> {
  const session = await store.getSession(sessionId);
  if (!session) {
    throw new DomainError('not_found', 'resource_missing', `No such checkout session: ${sessionId}.`, 'id');
  }
  if (!clientTokenMatches(session, clientToken)) {
    throw new DomainError(
      'denied',
      'client_token_invalid',
      'The clientToken is not the one of this checkout session.',
      'clientToken',
    );
  }
  return session;
}
