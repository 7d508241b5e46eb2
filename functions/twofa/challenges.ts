/**
 * Starting challenges (one model for login MFA, step-up and contact proofs): the login challenge
 * after a correct password, a step-up bound to one action (and, for money, one amount and payee)
 * whose one-time code goes by SMS or email to a VERIFIED address within the send limits, and the
 * proof of an address by a code sent to that address.
 */
import { auditItem } from '../lib/audit.ts';
import { type Clock, clock as defaultClock } from '../lib/clock.ts';
import { identifierHash } from '../lib/derived-keys.ts';
import { domainError, serviceUnavailable, tooManyRequests } from '../lib/errors.ts';
import { newId } from '../lib/ids.ts';
import { formatMoney } from '../lib/money.ts';
import { notifier } from '../lib/notifier.ts';
import { type Cancellation, type TransactItem, Transaction, writeTransaction } from '../lib/transactions.ts';
import { assessRisk, riskRefusal } from '../monitoring/risk.ts';
import { generateOtp, hashCode } from './codes.ts';
import { codeChannels, contacts, verifiedAddress } from './contacts.ts';
import { codePepper } from './keys.ts';
import { CHALLENGE_TTL_MS, SEND_LIMITS } from './policy.ts';
import type { StepUpBody } from './schema.ts';
import { stepUpAlreadyUsed } from './step-up-gate.ts';
import type { ChallengeRecord } from './store.ts';
import * as store from './store.ts';

const ACTION_TEXT: Record<ChallengeRecord['action'], string> = {
  sign_in: 'a sign-in',
  add_card: 'adding a card',
  withdrawal: 'a withdrawal',
  credit_application: 'a credit application',
  authorize_checkout: 'a purchase',
  enable_2fa: 'turning on two-factor authentication',
  disable_2fa: 'turning off two-factor authentication',
  regenerate_recovery_codes: 'new recovery codes',
  change_contact: 'a change of your contact details',
  change_password: 'a change of your password',
  verify_contact: 'confirming this address for your Tessera account',
};

export const contactUnverified = () =>
  domainError(
    'rejected',
    'contact_unverified',
    'No verified email or phone to send a code to: verify one first (POST /v1/me/contact-verifications).',
  );

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

/**
 * The one-time code of a challenge going to `address`, and its send counters (per customer; per
 * phone for SMS); none for TOTP. Sets the challenge's `codeHash`.
 */
export async function oneTimeCode(challenge: ChallengeRecord, address: string | undefined, nowMs: number) {
  const counters: SendCounter[] = [];
  if (challenge.channel === 'totp') return { code: undefined, counters };
  const code = generateOtp();
  challenge.codeHash = hashCode(code, await codePepper(), challenge.id);
  counters.push({
    limit: 'customerSends',
    ...store.sendCounterItem('customer', challenge.customerId, SEND_LIMITS.perCustomer, nowMs),
  });
  if (challenge.channel === 'sms' && address) {
    const phoneKey = await identifierHash('phone', address);
    counters.push({
      limit: 'phoneSends',
      ...store.sendCounterItem('phone', phoneKey, SEND_LIMITS.perPhone, nowMs),
    });
  }
  return { code, counters };
}

/** 429 with Retry-After for the send counters that refused; a concurrent write otherwise. */
export function sendLimited(counters: SendCounter[], cancelled: Cancellation<string>, nowMs: number) {
  const limited = counters.filter((c) => cancelled.lost(c.limit));
  if (limited.length === 0)
    return domainError('conflict', 'concurrent_update', 'Could not send the code. Try again.');
  const until = Math.max(...limited.map((c) => c.windowEndsAtMs));
  return tooManyRequests('Too many codes were sent. Try again later.', (until - nowMs) / 1000);
}

/**
 * Sends the code of `challenge` to `address`: the challenge's own target (a contact being
 * verified) or a VERIFIED address of the customer (`verifiedAddress`); never anywhere else.
 */
export async function sendCode(challenge: ChallengeRecord, address: string, code: string): Promise<void> {
  if (challenge.channel === 'sms') {
    // Account monitoring counts codes per phone across customers (a review raises a flag; the hard
    // per-phone limit above stops the sends); a decline sends nothing.
    const risk = await assessRisk(
      {
        action: 'otp_send',
        customerId: challenge.customerId,
        phoneHash: await identifierHash('phone', address),
      },
      defaultClock(),
    );
    const refusal = riskRefusal(risk);
    if (refusal) throw refusal;
  }
  try {
    await notifier().send({
      customerId: challenge.customerId,
      channel: challenge.channel === 'sms' ? 'sms' : 'email',
      to: address,
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
 * Writes a new challenge with its audit, send counters and (when given) the step-up item that
 * approves it, in one transaction, then sends its code to `address`. Throws 429 (send limits), 403
 * `step_up_invalid` (the step-up was used meanwhile), 409 and 503 (the code could not be sent).
 */
async function issue(
  challenge: ChallengeRecord,
  address: string | undefined,
  audit: TransactItem,
  stepUp: TransactItem | undefined,
  nowMs: number,
): Promise<{ challengeId: string; channel: ChallengeRecord['channel']; expiresAt: string }> {
  const { code, counters } = await oneTimeCode(challenge, address, nowMs);
  const tx = new Transaction<'challenge' | 'stepUp' | SendCounter['limit']>()
    .add('challenge', store.putChallengeItem(challenge), audit)
    .add('stepUp', ...(stepUp ? [stepUp] : []));
  for (const counter of counters) tx.add(counter.limit, counter.item);
  await tx.write(writeTransaction, async (cancelled) =>
    cancelled.lost('stepUp') && stepUp
      ? await stepUpAlreadyUsed(stepUp, defaultClock())
      : sendLimited(counters, cancelled, nowMs),
  );
  if (code !== undefined && address !== undefined) await sendCode(challenge, address, code);
  return {
    challengeId: challenge.id,
    channel: challenge.channel,
    expiresAt: new Date(challenge.expiresAtMs).toISOString(),
  };
}

/**
 * Starts a step-up bound to one action (and, for money, one amount and payee). With TOTP on, the
 * customer answers from the authenticator; otherwise a one-time code goes by SMS to a verified
 * phone, else by email to a verified email. Throws 404 (no such customer), 422 `contact_unverified`
 * (no TOTP and nothing verified), 429 with Retry-After (send limits per customer and per phone), 409
 * (a concurrent write) and 503 (the code could not be sent).
 */
export async function startStepUp(customerId: string, body: StepUpBody, clock: Clock = defaultClock()) {
  const [contact, factor] = await Promise.all([contacts().find(customerId), store.getTwoFactor(customerId)]);
  if (!contact) throw domainError('not_found', 'resource_missing', 'No such customer.');
  const now = clock.now();
  const nowMs = now.getTime();
  const channel = factor?.status === 'active' ? 'totp' : codeChannels(contact)[0];
  if (channel === undefined) throw contactUnverified();
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
  const audit = auditItem(
    {
      action: 'twofa.step_up_started',
      subject: customerId,
      actor: customerId,
      metadata: { challengeId: challenge.id, stepUpAction: body.action, channel, ...amount },
    },
    clock,
  );
  const address = channel === 'totp' ? undefined : verifiedAddress(contact, channel);
  return issue(challenge, address, audit, undefined, nowMs);
}

/**
 * Starts the proof of an address: a one-time code to `address` itself (an email, or an E.164 phone
 * by SMS), for verifying the customer's current contact (`verify_contact`) or a new one
 * (`change_contact`, with its step-up item committed alongside). The audit names the channel only,
 * never the address. Errors as `issue` (429, 403, 409, 503).
 */
export async function startContactChallenge(
  input: {
    customerId: string;
    kind: 'email' | 'phone';
    address: string;
    action: 'verify_contact' | 'change_contact';
    stepUp?: TransactItem;
  },
  clock: Clock = defaultClock(),
) {
  const now = clock.now();
  const nowMs = now.getTime();
  const channel = input.kind === 'phone' ? 'sms' : 'email';
  const challenge: ChallengeRecord = {
    id: newId('challenge', now),
    customerId: input.customerId,
    purpose: 'contact',
    action: input.action,
    channel,
    target: input.address,
    attempts: 0,
    status: 'pending',
    createdAt: now.toISOString(),
    expiresAtMs: nowMs + CHALLENGE_TTL_MS,
  };
  const audit = auditItem(
    {
      action: 'twofa.contact_challenge_started',
      subject: input.customerId,
      actor: input.customerId,
      metadata: { challengeId: challenge.id, contactAction: input.action, channel },
    },
    clock,
  );
  const started = await issue(challenge, input.address, audit, input.stepUp, nowMs);
  return { ...started, channel };
}
