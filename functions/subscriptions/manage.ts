/**
 * The merchant's changes to a subscription: pause, resume, change the amount (the shopper is told
 * beforehand), cancel now or at period end. Each is one write conditioned on the version read.
 */
import { assertWithinAgreement, readAgreement } from '../agreements/access.ts';
import { customerContacts } from '../customers/contacts.ts';
import { billingDate, firstPeriodOnOrAfter } from '../installments/terms.ts';
import { addDays, type Clock, isoDay } from '../lib/clock.ts';
import { DomainError } from '../lib/errors.ts';
import { formatMoney } from '../lib/money.ts';
import { notifyOnce } from '../lib/notify-once.ts';
import { conflictOnCancel, type TransactItem } from '../lib/transactions.ts';
import type { Commit } from '../lib/use-case.ts';
import { requireSubscription } from './read.ts';
import type { SubscriptionResponse } from './schema.ts';
import * as store from './store.ts';
import { subscriptionEventItems, toSubscription } from './view.ts';

/**
 * An amount change applies from the first period billed at least this many days after the change,
 * so the shopper is told before they are charged the new amount (card-network rules for
 * recurring transactions ask for notice of a changed amount: Visa's 7 days).
 */
export const AMOUNT_NOTICE_DAYS = 7;

type Principal = { merchantId: string; livemode: boolean };

const statusInvalid = (s: store.SubscriptionRecord, what: string) =>
  new DomainError(
    'rejected',
    'subscription_status_invalid',
    `The subscription is ${s.status}${s.cancelAtPeriodEnd ? ' (ending)' : ''}: it cannot ${what}.`,
  );

/** Writes `after` (and `items`) over `before`, answering the new state; a lost race is 409. */
async function change(
  before: store.SubscriptionRecord,
  after: store.SubscriptionRecord,
  commit: Commit<SubscriptionResponse>,
  items: TransactItem[] = [],
): Promise<SubscriptionResponse> {
  const response = toSubscription(after);
  await conflictOnCancel(
    () => commit([store.subscriptionChangeItem(before, after), ...items], response),
    'The subscription changed meanwhile; retry this request.',
  );
  return response;
}

const bumped = (s: store.SubscriptionRecord, at: string) => ({ version: s.version + 1, updatedAt: at });

/** Pause: no period is billed until resumed (active or past_due only). */
export async function pauseSubscription(
  principal: Principal,
  id: string,
  commit: Commit<SubscriptionResponse>,
  clock: Clock,
): Promise<SubscriptionResponse> {
  const s = await requireSubscription(principal, id);
  if ((s.status !== 'active' && s.status !== 'past_due') || s.cancelAtPeriodEnd)
    throw statusInvalid(s, 'pause');
  const { nextBillingDate: _n, ...rest } = s;
  return change(s, { ...rest, status: 'paused', ...bumped(s, clock.now().toISOString()) }, commit);
}

/**
 * Resume: billing picks up at the first period dated today or later (the periods paused through
 * are not billed); the anchor keeps the dates exact.
 */
export async function resumeSubscription(
  principal: Principal,
  id: string,
  commit: Commit<SubscriptionResponse>,
  clock: Clock,
): Promise<SubscriptionResponse> {
  const s = await requireSubscription(principal, id);
  if (s.status !== 'paused') throw statusInvalid(s, 'resume');
  const now = clock.now();
  const period = firstPeriodOnOrAfter(s.anchor, s.interval, s.intervalCount, s.period, isoDay(now));
  const nextBillingDate = billingDate(s.anchor, s.interval, s.intervalCount, period);
  return change(
    s,
    { ...s, status: 'active', period, nextBillingDate, ...bumped(s, now.toISOString()) },
    commit,
  );
}

/**
 * Cancel now (out of the due index, `subscription.canceled`), or at period end (nothing more is
 * billed; the renewal on the next billing date cancels it instead). A paused subscription has no
 * period running: it is canceled now either way.
 */
export async function cancelSubscription(
  principal: Principal,
  id: string,
  body: { atPeriodEnd: boolean },
  commit: Commit<SubscriptionResponse>,
  clock: Clock,
): Promise<SubscriptionResponse> {
  const s = await requireSubscription(principal, id);
  if (s.status === 'canceled') throw statusInvalid(s, 'be canceled again');
  const at = clock.now().toISOString();
  if (body.atPeriodEnd && s.status !== 'paused' && s.nextBillingDate) {
    return change(s, { ...s, cancelAtPeriodEnd: true, ...bumped(s, at) }, commit);
  }
  const after = canceled(s, 'requested', at);
  return change(s, after, commit, subscriptionEventItems('subscription.canceled', after, clock));
}

/** The subscription canceled at `at` for `reason`: out of the due index, one version on. */
export function canceled(
  s: store.SubscriptionRecord,
  reason: store.CancelReason,
  at: string,
): store.SubscriptionRecord {
  const { nextBillingDate: _n, pendingAmount: _p, ...rest } = s;
  return { ...rest, status: 'canceled', canceledAt: at, cancelReason: reason, ...bumped(s, at) };
}

/**
 * Change the amount of each period: within the agreement (422 `amount_above_agreement_max`),
 * effective from the first period billed AMOUNT_NOTICE_DAYS or more from today, and the shopper
 * told now by email (lib/notify-once.ts, once per change). Refused for a canceled subscription.
 */
export async function changeSubscriptionAmount(
  principal: Principal,
  id: string,
  body: { amount: number },
  commit: Commit<SubscriptionResponse>,
  clock: Clock,
): Promise<SubscriptionResponse> {
  const s = await requireSubscription(principal, id);
  if (s.status === 'canceled' || s.cancelAtPeriodEnd) throw statusInvalid(s, 'change its amount');
  const agreement = await readAgreement(s.customerToken);
  if (agreement?.status !== 'active') throw statusInvalid(s, 'change (its agreement is revoked)');
  assertWithinAgreement(agreement, { amount: body.amount, currency: s.currency });
  const now = clock.now();
  const noticeEnds = addDays(isoDay(now), AMOUNT_NOTICE_DAYS);
  const fromPeriod = firstPeriodOnOrAfter(s.anchor, s.interval, s.intervalCount, s.period, noticeEnds);
  const effectiveDate = billingDate(s.anchor, s.interval, s.intervalCount, fromPeriod);
  const after: store.SubscriptionRecord = {
    ...s,
    pendingAmount: { amount: body.amount, fromPeriod, effectiveDate },
    ...bumped(s, now.toISOString()),
  };
  const response = await change(s, after, commit);
  await tellShopper(after, agreement.purpose, now);
  return response;
}

/** The shopper's notice of a changed amount (never throws: the change stands either way). */
async function tellShopper(s: store.SubscriptionRecord, purpose: string, now: Date): Promise<void> {
  const contact = await customerContacts.find(s.customerId);
  if (!contact || !s.pendingAmount) return;
  const from = formatMoney(s.amount, s.currency);
  const to = formatMoney(s.pendingAmount.amount, s.currency);
  await notifyOnce(
    `subscription-amount#${s.id}#${s.version}`,
    {
      customerId: s.customerId,
      channel: 'email',
      to: contact.email,
      subject: 'Your subscription amount changes',
      text: `Your subscription "${purpose}" changes from ${from} to ${to} per period, from the payment on ${s.pendingAmount.effectiveDate}. You can revoke the agreement in your account at any time before.`,
      kind: 'payment_notice',
      reference: s.id,
    },
    now,
  );
}
