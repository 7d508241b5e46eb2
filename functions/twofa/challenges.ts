/**
 * Starting challenges (one model for login MFA and step-up): the login challenge after a correct
 * password, and a step-up bound to one action (and, for money, one amount and payee) whose
 * one-time code goes by SMS or email within the send limits.
 */
import { auditItem } from '../lib/audit.ts';
import { type Clock, clock as defaultClock } from '../lib/clock.ts';
import { identifierHash } from '../lib/derived-keys.ts';
import { domainError, serviceUnavailable, tooManyRequests } from '../lib/errors.ts';
import { newId } from '../lib/ids.ts';
import { formatMoney } from '../lib/money.ts';
import { notifier } from '../lib/notifier.ts';
import { type TransactItem, Transaction, writeTransaction } from '../lib/transactions.ts';
import { generateOtp, hashCode } from './codes.ts';
import { type CustomerContact, contacts } from './contacts.ts';
import { codePepper } from './keys.ts';
import { CHALLENGE_TTL_MS, SEND_LIMITS, type StepUpAction } from './policy.ts';
import type { StepUpBody } from './schema.ts';
import type { ChallengeRecord } from './store.ts';
import * as store from './store.ts';

const ACTION_TEXT: Record<StepUpAction | 'sign_in', string> = {
  sign_in: 'a sign-in',
  add_card: 'adding a card',
  withdrawal: 'a withdrawal',
  credit_application: 'a credit application',
  authorize_checkout: 'a purchase',
  enable_2fa: 'turning on two-factor authentication',
  disable_2fa: 'turning off two-factor authentication',
  regenerate_recovery_codes: 'new recovery codes',
  change_contact: 'a change of your contact details',
};

/** What the code approves, spelled out in the message (PSD2: the payer sees amount and payee). */
export function describeAction(challenge: Pick<ChallengeRecord, 'action' | 'amount' | 'currency' | 'payee'>) {
  let text = ACTION_TEXT[challenge.action];
  if (challenge.amount !== undefined && challenge.currency !== undefined) {
    text += ` of ${formatMoney(challenge.amount, challenge.currency)}`;
  }
  if (challenge.payee !== undefined) text += ` to ${challenge.payee}`;
  return text;
}

/** The TOTP challenge that follows a correct password when 2FA is on; the caller writes `item`. */
export function newLoginChallenge(customerId: string, clock: Clock = defaultClock()) {
  const now = clock.now();
  const challenge: ChallengeRecord = {
    id: newId('challenge', now),
    customerId,
    purpose: 'login',
    action: 'sign_in',
    channel: 'totp',
    attempts: 0,
    status: 'pending',
    createdAt: now.toISOString(),
    expiresAtMs: now.getTime() + CHALLENGE_TTL_MS,
  };
  return { challenge, item: store.putChallengeItem(challenge) };
}

type SendCounter = { limit: 'customerSends' | 'phoneSends'; item: TransactItem; windowEndsAtMs: number };

/** The one-time code and its send counters (per customer; per phone for SMS); none for TOTP. */
async function oneTimeCode(challenge: ChallengeRecord, contact: CustomerContact, nowMs: number) {
  const counters: SendCounter[] = [];
  if (challenge.channel === 'totp') return { code: undefined, counters };
  const code = generateOtp();
  challenge.codeHash = hashCode(code, await codePepper(), challenge.id);
  counters.push({
    limit: 'customerSends',
    ...store.sendCounterItem('customer', challenge.customerId, SEND_LIMITS.perCustomer, nowMs),
  });
  if (challenge.channel === 'sms' && contact.phone) {
    const phoneKey = await identifierHash('phone', contact.phone);
    counters.push({
      limit: 'phoneSends',
      ...store.sendCounterItem('phone', phoneKey, SEND_LIMITS.perPhone, nowMs),
    });
  }
  return { code, counters };
}

async function sendCode(challenge: ChallengeRecord, contact: CustomerContact, code: string): Promise<void> {
  try {
    await notifier().send({
      customerId: challenge.customerId,
      channel: challenge.channel === 'sms' ? 'sms' : 'email',
      to: challenge.channel === 'sms' && contact.phone ? contact.phone : contact.email,
      subject: 'Your Tessera verification code',
      text:
        `Your Tessera code is ${code}. It approves ${describeAction(challenge)} and expires in ` +
        `${CHALLENGE_TTL_MS / 60_000} minutes. Never share it; Tessera will never ask you for it.`,
      kind: 'one_time_code',
      reference: challenge.id,
    });
  } catch (error) {
    throw serviceUnavailable('The code could not be sent. Try again shortly.', error);
  }
}

/**
 * Starts a step-up bound to one action (and, for money, one amount and payee). With TOTP on, the
 * customer answers from the authenticator; otherwise a one-time code goes by SMS (if there is a
 * phone) or email. Throws 404 (no such customer), 429 with Retry-After (send limits per customer
 * and per phone), 409 (a concurrent write) and 503 (the code could not be sent).
 */
export async function startStepUp(customerId: string, body: StepUpBody, clock: Clock = defaultClock()) {
  const [contact, factor] = await Promise.all([contacts().find(customerId), store.getTwoFactor(customerId)]);
  if (!contact) throw domainError('not_found', 'resource_missing', 'No such customer.');
  const now = clock.now();
  const nowMs = now.getTime();
  const channel = factor?.status === 'active' ? 'totp' : contact.phone ? 'sms' : 'email';
  const amount = body.amount ? { amount: body.amount.amount, currency: body.amount.currency } : undefined;
  const challenge: ChallengeRecord = {
    id: newId('challenge', now),
    customerId,
    purpose: 'step_up',
    action: body.action,
    channel,
    ...amount,
    ...(body.payee === undefined ? {} : { payee: body.payee }),
    attempts: 0,
    status: 'pending',
    createdAt: now.toISOString(),
    expiresAtMs: nowMs + CHALLENGE_TTL_MS,
  };
  const { code, counters } = await oneTimeCode(challenge, contact, nowMs);
  const audit = auditItem(
    {
      action: 'twofa.step_up_started',
      subject: customerId,
      actor: customerId,
      metadata: { challengeId: challenge.id, stepUpAction: body.action, channel, ...amount },
    },
    clock,
  );
  const tx = new Transaction<'challenge' | SendCounter['limit']>().add(
    'challenge',
    store.putChallengeItem(challenge),
    audit,
  );
  for (const counter of counters) tx.add(counter.limit, counter.item);
  await tx.write(writeTransaction, (cancelled) => {
    const limited = counters.filter((c) => cancelled.lost(c.limit));
    if (limited.length === 0)
      return domainError('conflict', 'concurrent_update', 'Could not start the step-up. Try again.');
    const until = Math.max(...limited.map((c) => c.windowEndsAtMs));
    return tooManyRequests('Too many codes were sent. Try again later.', (until - nowMs) / 1000);
  });
  if (code !== undefined) await sendCode(challenge, contact, code);
  return { challengeId: challenge.id, channel, expiresAt: new Date(challenge.expiresAtMs).toISOString() };
}
