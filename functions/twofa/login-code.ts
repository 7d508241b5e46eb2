/**
 * The login second factor by a one-time code: a customer with 2FA on may answer the login
 * challenge with a code sent by SMS or email to a VERIFIED address instead of the authenticator
 * (TOTP stays the only factor of step-ups; README "Which factor each action needs"). The code
 * counts on the same send limits, and its checks on the same per-challenge cap and 2FA lockout, as
 * every other code.
 */
import { auditItem } from '../lib/audit.ts';
import { type Clock, clock as defaultClock } from '../lib/clock.ts';
import { domainError } from '../lib/errors.ts';
import { Transaction, writeTransaction } from '../lib/transactions.ts';
import { oneTimeCode, sendCode, sendLimited } from './challenges.ts';
import { codeChannels, contacts, verifiedAddress } from './contacts.ts';
import { challengeMissing } from './errors.ts';
import { MAX_CHECKS_PER_CHALLENGE } from './policy.ts';
import * as store from './store.ts';
import { assertOpen } from './verification.ts';

/** The ways a login challenge of `customerId` can be answered: TOTP, and a code to each verified address. */
export async function loginChannels(customerId: string): Promise<Array<'totp' | 'sms' | 'email'>> {
  const contact = await contacts().find(customerId);
  return ['totp', ...(contact ? codeChannels(contact) : [])];
}

/**
 * The customer whose sign-in is waiting on the open login challenge `challengeId` (pending,
 * unexpired, checks left), or undefined. For the local sandbox's outbox page, which shows the codes
 * sent for one sign-in to whoever holds its challenge id (returned only after the password passed).
 */
export async function pendingSignInOwner(
  challengeId: string,
  clock: Clock = defaultClock(),
): Promise<string | undefined> {
  const challenge = await store.getChallenge(challengeId);
  if (challenge?.purpose !== 'login') return undefined;
  try {
    assertOpen(challenge, clock.now().getTime());
  } catch {
    return undefined;
  }
  return challenge.customerId;
}

/**
 * Sends a one-time code for the open login challenge `challengeId` by `channel`; the challenge is
 * then answered with that code (or a recovery code), no longer with TOTP. A new send replaces the
 * previous code. Throws 404 (no such login challenge), 422 (used, expired, out of checks;
 * `contact_unverified` when the customer has no verified address there), 429 (send limits) and 503.
 */
export async function sendLoginCode(
  input: { challengeId: string; channel: 'sms' | 'email' },
  clock: Clock = defaultClock(),
) {
  const now = clock.now();
  const nowMs = now.getTime();
  const challenge = await store.getChallenge(input.challengeId);
  if (challenge?.purpose !== 'login') throw challengeMissing();
  assertOpen(challenge, nowMs);
  const contact = await contacts().find(challenge.customerId);
  const address = contact ? verifiedAddress(contact, input.channel) : undefined;
  if (address === undefined) {
    throw domainError(
      'rejected',
      'contact_unverified',
      `There is no verified ${input.channel === 'sms' ? 'phone' : 'email'} to send the code to.`,
      'channel',
    );
  }
  const switched = { ...challenge, channel: input.channel };
  const { code, counters } = await oneTimeCode(switched, address, nowMs);
  if (code === undefined || switched.codeHash === undefined) throw new Error('a one-time code was expected');
  const tx = new Transaction<'challenge' | 'customerSends' | 'phoneSends'>().add(
    'challenge',
    store.sendLoginCodeItem(challenge, input.channel, switched.codeHash, nowMs, MAX_CHECKS_PER_CHALLENGE),
    auditItem(
      {
        action: 'twofa.login_code_sent',
        subject: challenge.customerId,
        actor: 'anonymous',
        metadata: { challengeId: challenge.id, channel: input.channel },
      },
      clock,
    ),
  );
  for (const counter of counters) tx.add(counter.limit, counter.item);
  await tx.write(writeTransaction, (cancelled) => {
    if (cancelled.lost('challenge')) {
      return domainError(
        'rejected',
        'challenge_used',
        'This challenge can no longer take a code.',
        'challengeId',
      );
    }
    return sendLimited(counters, cancelled, nowMs);
  });
  await sendCode(switched, address, code);
  return {
    challengeId: challenge.id,
    channel: input.channel,
    expiresAt: new Date(challenge.expiresAtMs).toISOString(),
  };
}
