/**
 * Two-factor authentication use cases: TOTP enrollment, recovery codes, and challenges (one model
 * for login MFA and step-up). Every check is counted before it is verified (per challenge and per
 * customer), every code is accepted once (TOTP step stored, recovery code removed, challenge marked
 * verified) through conditional writes, and nothing secret reaches a table, a log or an audit.
 */

import { type CustomerRecord, getCustomer } from '../customers/store.ts';
import { auditItem } from '../lib/audit.ts';
import { type Clock, clock as defaultClock } from '../lib/clock.ts';
import { config } from '../lib/config.ts';
import {
  ApiError,
  conflict,
  notFound,
  serviceUnavailable,
  tooManyRequests,
  unprocessable,
} from '../lib/errors.ts';
import type { TransactItem } from '../lib/idempotency.ts';
import { newId } from '../lib/ids.ts';
import { keyService } from '../lib/key-service.ts';
import { logger } from '../lib/logger.ts';
import { formatMoney } from '../lib/money.ts';
import { emailNotifier, type Notification, notifier } from '../lib/notifier.ts';
import { generateOtp, generateRecoveryCodes, hashCode, matchRecoveryCode, verifyCodeHash } from './codes.ts';
import { stepUpInvalid } from './gate.ts';
import { type GuardState, reserveAttempt, resetGuard } from './guard.ts';
import { codePepper, identifierHash } from './keys.ts';
import {
  CHALLENGE_TTL_MS,
  MAX_CHECKS_PER_CHALLENGE,
  MAX_ENROLLMENT_CHECKS,
  RECOVERY_CODE_ACTIONS,
  SEND_LIMITS,
  type StepUpAction,
  TWOFA_POLICY,
} from './policy.ts';
import type { ChallengeProof, StepUpBody } from './schema.ts';
import type { ChallengeRecord, TwoFactorRecord } from './store.ts';
import * as store from './store.ts';
import { signStepUpToken } from './tokens.ts';
import { generateTotpSecret, otpauthUri, verifyTotp } from './totp.ts';

const TOTP_CONTEXT = (customerId: string) => ({ purpose: 'totp', customerId });

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

const codeInvalid = (param: 'code' | 'recoveryCode' = 'code') =>
  unprocessable('code_invalid', 'The code is not valid. Check it and try again.', param);
const challengeExpired = () =>
  unprocessable('challenge_expired', 'This challenge has expired. Start a new one.', 'challengeId');
const challengeUsed = () =>
  unprocessable('challenge_used', 'This challenge was already completed. Start a new one.', 'challengeId');
const challengeExhausted = () =>
  unprocessable(
    'challenge_attempts_exceeded',
    `This challenge allows ${MAX_CHECKS_PER_CHALLENGE} checks. Start a new one.`,
    'challengeId',
  );
const challengeMissing = () => notFound('No such challenge.', 'challengeId');

function factorBlocked(retryAfterMs: number, locked: boolean): ApiError {
  const seconds = String(Math.max(1, Math.ceil(retryAfterMs / 1000)));
  if (locked) {
    return new ApiError(
      429,
      'rate_limit_error',
      'two_factor_locked',
      'Two-factor checks are locked after too many wrong codes. Try again later.',
      { headers: { 'Retry-After': seconds } },
    );
  }
  return tooManyRequests('Too many wrong codes. Wait before trying again.', retryAfterMs / 1000);
}

// ---------------------------------------------------------------------------------------------
// Notifications: codes must arrive (a failure is an error); alerts are best effort.
// ---------------------------------------------------------------------------------------------

async function alert(customer: CustomerRecord, subject: string, text: string): Promise<void> {
  const message: Notification = {
    customerId: customer.id,
    channel: 'email',
    to: customer.email,
    subject,
    text,
    kind: 'security_alert',
  };
  try {
    await emailNotifier().send(message);
  } catch (error) {
    // A lost alert must not undo or fail the sign-in it reports; the audit trail has it anyway.
    logger.warn('security alert not sent', { customerId: customer.id, subject, error: String(error) });
  }
}

export async function securityAlert(customerId: string, subject: string, text: string): Promise<void> {
  const customer = await getCustomer(customerId);
  if (customer) await alert(customer, subject, text);
}

const ACTION_TEXT: Record<StepUpAction | 'sign_in', string> = {
  sign_in: 'a sign-in',
  add_card: 'adding a card',
  withdrawal: 'a withdrawal',
  credit_application: 'a credit application',
  authorize_checkout: 'a purchase',
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

// ---------------------------------------------------------------------------------------------
// TOTP enrollment and recovery codes
// ---------------------------------------------------------------------------------------------

async function openSecret(factor: TwoFactorRecord): Promise<string> {
  const plaintext = await keyService().decrypt(
    Buffer.from(factor.secret, 'base64'),
    TOTP_CONTEXT(factor.customerId),
  );
  const secret = plaintext.toString('utf8');
  plaintext.fill(0);
  return secret;
}

export async function isTwoFactorActive(customerId: string): Promise<boolean> {
  return (await store.getTwoFactor(customerId))?.status === 'active';
}

/** A new secret (encrypted at rest); active only once `confirmTotpEnrollment` sees a valid code. */
export async function startTotpEnrollment(customerId: string, clock: Clock = defaultClock()) {
  const [customer, existing] = await Promise.all([getCustomer(customerId), store.getTwoFactor(customerId)]);
  if (!customer) throw notFound('No such customer.');
  if (existing?.status === 'active') {
    throw conflict('two_factor_already_enabled', 'Two-factor authentication is already on.');
  }
  const now = clock.now();
  const secret = generateTotpSecret();
  const keyId = config().SECRETS_KEY_ID;
  const sealed = await keyService().encrypt(keyId, Buffer.from(secret, 'utf8'), TOTP_CONTEXT(customerId));
  const record: TwoFactorRecord = {
    customerId,
    status: 'pending',
    secret: sealed.toString('base64'),
    keyId,
    confirmAttempts: 0,
    createdAt: now.toISOString(),
    version: 1,
  };
  if (!(await store.putPendingTwoFactor(record))) {
    throw conflict('two_factor_already_enabled', 'Two-factor authentication is already on.');
  }
  await store.transact([
    auditItem({ action: 'twofa.enrollment_started', subject: customerId, actor: customerId }, clock),
  ]);
  return {
    secret,
    otpauthUri: otpauthUri({ secret, accountName: customer.email.replaceAll(':', '') }),
  };
}

/** The first valid code turns the factor on and yields the 10 recovery codes (shown once). */
export async function confirmTotpEnrollment(customerId: string, code: string, clock: Clock = defaultClock()) {
  const factor = await store.getTwoFactor(customerId);
  if (!factor) {
    throw conflict('enrollment_missing', 'Start an enrollment first (POST /v1/me/2fa/totp).');
  }
  if (factor.status === 'active') {
    throw conflict('two_factor_already_enabled', 'Two-factor authentication is already on.');
  }
  if (!(await store.reserveEnrollmentCheck(factor, MAX_ENROLLMENT_CHECKS))) {
    throw unprocessable(
      'enrollment_attempts_exceeded',
      'Too many wrong codes for this enrollment. Start it again.',
      'code',
    );
  }
  const now = clock.now();
  const result = await verifyTotp(await openSecret(factor), code, now);
  if (!result.ok) throw codeInvalid();
  const pepper = await codePepper();
  const codes = generateRecoveryCodes(pepper, customerId);
  const outcome = await store.transact([
    store.activateTwoFactorItem(
      factor,
      result.step,
      codes.map((c) => c.hash),
      now.toISOString(),
    ),
    auditItem(
      { action: 'twofa.enrolled', subject: customerId, actor: customerId, metadata: { factor: 'totp' } },
      clock,
    ),
  ]);
  if (!outcome.ok) throw conflict('concurrent_update', 'The enrollment changed meanwhile. Start it again.');
  await securityAlert(
    customerId,
    'Two-factor authentication is on',
    'Two-factor authentication was turned on for your Tessera account. If this was not you, contact support now.',
  );
  return { recoveryCodes: codes.map((c) => c.code) };
}

const stepUpInvalidOnConflict = (reasons: string[]) => {
  if (reasons[0] === 'ConditionalCheckFailed') {
    return stepUpInvalid();
  }
  return conflict('concurrent_update', 'Two-factor settings changed meanwhile. Try again.');
};

/** The customer's enrolled factor; changing 2FA settings needs one. */
async function requireActiveFactor(customerId: string) {
  const factor = await store.getTwoFactor(customerId);
  if (factor?.status !== 'active') {
    throw conflict('two_factor_not_enabled', 'Two-factor authentication is not on.');
  }
  return factor;
}

/** Turns 2FA off; `stepUp` is the gate's item for `disable_2fa`, committed with the change. */
export async function disableTwoFactor(
  customerId: string,
  stepUp: TransactItem,
  clock: Clock = defaultClock(),
) {
  const factor = await requireActiveFactor(customerId);
  const outcome = await store.transact([
    stepUp,
    store.deleteTwoFactorItem(customerId, factor.version),
    auditItem(
      { action: 'twofa.disabled', subject: customerId, actor: customerId, metadata: { factor: 'totp' } },
      clock,
    ),
  ]);
  if (!outcome.ok) throw stepUpInvalidOnConflict(outcome.reasons);
  await securityAlert(
    customerId,
    'Two-factor authentication is off',
    'Two-factor authentication was turned off for your Tessera account. If this was not you, contact support now.',
  );
  return { object: 'two_factor' as const, enabled: false };
}

/** Replaces every recovery code; the old ones stop working in the same write. */
export async function regenerateRecoveryCodes(
  customerId: string,
  stepUp: TransactItem,
  clock: Clock = defaultClock(),
) {
  const factor = await requireActiveFactor(customerId);
  const codes = generateRecoveryCodes(await codePepper(), customerId);
  const outcome = await store.transact([
    stepUp,
    store.replaceRecoveryCodesItem(
      customerId,
      codes.map((c) => c.hash),
      factor.version,
    ),
    auditItem({ action: 'twofa.recovery_codes_regenerated', subject: customerId, actor: customerId }, clock),
  ]);
  if (!outcome.ok) throw stepUpInvalidOnConflict(outcome.reasons);
  await securityAlert(
    customerId,
    'New recovery codes',
    'New recovery codes were created for your Tessera account; the old ones no longer work.',
  );
  return { recoveryCodes: codes.map((c) => c.code) };
}

// ---------------------------------------------------------------------------------------------
// Challenges
// ---------------------------------------------------------------------------------------------

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

/**
 * Starts a step-up bound to one action (and, for money, one amount and payee). With TOTP on, the
 * customer answers from the authenticator; otherwise a one-time code goes by SMS (if there is a
 * phone) or email, within the send limits per customer and per phone.
 */
export async function startStepUp(customerId: string, body: StepUpBody, clock: Clock = defaultClock()) {
  const [customer, factor] = await Promise.all([getCustomer(customerId), store.getTwoFactor(customerId)]);
  if (!customer) throw notFound('No such customer.');
  const now = clock.now();
  const nowMs = now.getTime();
  const channel = factor?.status === 'active' ? 'totp' : customer.phone ? 'sms' : 'email';
  const challenge: ChallengeRecord = {
    id: newId('challenge', now),
    customerId,
    purpose: 'step_up',
    action: body.action,
    channel,
    ...(body.amount ? { amount: body.amount.amount, currency: body.amount.currency } : {}),
    ...(body.payee === undefined ? {} : { payee: body.payee }),
    attempts: 0,
    status: 'pending',
    createdAt: now.toISOString(),
    expiresAtMs: nowMs + CHALLENGE_TTL_MS,
  };
  let code: string | undefined;
  const counters: Array<{ item: TransactItem; windowEndsAtMs: number }> = [];
  if (channel !== 'totp') {
    code = generateOtp();
    challenge.codeHash = hashCode(code, await codePepper(), challenge.id);
    counters.push(store.sendCounterItem('customer', customerId, SEND_LIMITS.perCustomer, nowMs));
    if (channel === 'sms' && customer.phone) {
      const phoneKey = await identifierHash('phone', customer.phone);
      counters.push(store.sendCounterItem('phone', phoneKey, SEND_LIMITS.perPhone, nowMs));
    }
  }
  const audit = auditItem(
    {
      action: 'twofa.step_up_started',
      subject: customerId,
      actor: customerId,
      metadata: {
        challengeId: challenge.id,
        stepUpAction: body.action,
        channel,
        ...(body.amount ? { amount: body.amount.amount, currency: body.amount.currency } : {}),
      },
    },
    clock,
  );
  const outcome = await store.transact([
    store.putChallengeItem(challenge),
    audit,
    ...counters.map((c) => c.item),
  ]);
  if (!outcome.ok) {
    const limited = counters.filter((_, i) => outcome.reasons[2 + i] === 'ConditionalCheckFailed');
    if (limited.length > 0) {
      const until = Math.max(...limited.map((c) => c.windowEndsAtMs));
      throw tooManyRequests('Too many codes were sent. Try again later.', (until - nowMs) / 1000);
    }
    throw conflict('concurrent_update', 'Could not start the step-up. Try again.');
  }
  if (code !== undefined) {
    try {
      await notifier().send({
        customerId,
        channel: channel === 'sms' ? 'sms' : 'email',
        to: channel === 'sms' && customer.phone ? customer.phone : customer.email,
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
  return { challengeId: challenge.id, channel, expiresAt: new Date(challenge.expiresAtMs).toISOString() };
}

type Method = 'totp' | 'one_time_code' | 'recovery_code';

export interface PassedCheck {
  challenge: ChallengeRecord;
  method: Method;
  /** Verify the challenge and use up the factor (TOTP step / recovery code): commit with yours. */
  items: TransactItem[];
  guard: GuardState;
  recoveryCodesLeft?: number;
}

/**
 * Checks one proof against a challenge. Throws for a missing/foreign challenge (404), one that is
 * used, expired or out of checks (422), a blocked or locked factor (429) or a wrong code (422,
 * after recording the failure). On success returns the items to commit with the caller's own.
 */
export async function checkChallenge(
  input: {
    challengeId: string;
    purpose: ChallengeRecord['purpose'];
    /** The signed-in customer (step-up); a login challenge has no session yet. */
    customerId?: string;
    proof: ChallengeProof;
  },
  clock: Clock = defaultClock(),
): Promise<PassedCheck> {
  const now = clock.now();
  const nowMs = now.getTime();
  const challenge = await store.getChallenge(input.challengeId);
  if (
    !challenge ||
    challenge.purpose !== input.purpose ||
    (input.customerId !== undefined && challenge.customerId !== input.customerId)
  ) {
    throw challengeMissing();
  }
  assertOpen(challenge, nowMs);

  const { proof } = input;
  const useRecovery = proof.recoveryCode !== undefined;
  if (
    useRecovery &&
    challenge.purpose !== 'login' &&
    !RECOVERY_CODE_ACTIONS.has(challenge.action as StepUpAction)
  ) {
    throw unprocessable(
      'recovery_code_not_allowed',
      'A recovery code cannot approve this action. Use your authenticator app.',
      'recoveryCode',
    );
  }
  const needsFactor = useRecovery || challenge.channel === 'totp';
  const factor = needsFactor ? await store.getTwoFactor(challenge.customerId) : undefined;
  if (needsFactor && factor?.status !== 'active') {
    throw unprocessable(
      'two_factor_not_enabled',
      'Two-factor authentication is not on.',
      useRecovery ? 'recoveryCode' : 'code',
    );
  }

  // Count the check first (per challenge and per customer), then look at the code.
  const reservation = await reserveAttempt(
    [{ key: store.twofaGuardKey(challenge.customerId), policy: TWOFA_POLICY }],
    nowMs,
    {
      items: [store.reserveChallengeCheckItem(challenge, nowMs, MAX_CHECKS_PER_CHALLENGE)],
      onExtraConflict: async () => {
        const fresh = await store.getChallenge(challenge.id);
        if (fresh) assertOpen(fresh, nowMs);
        throw conflict('challenge_busy', 'Another check of this challenge is in progress.');
      },
    },
  );
  if (reservation.kind === 'blocked') throw factorBlocked(reservation.retryAfterMs, reservation.locked);
  const [guard] = reservation.guards;
  if (!guard) throw new Error('guard missing');
  const attempts = challenge.attempts + 1;

  const pepper = useRecovery || challenge.channel !== 'totp' ? await codePepper() : undefined;
  let method: Method;
  let factorItem: TransactItem | undefined;
  let recoveryCodesLeft: number | undefined;
  let ok = false;
  let reason: 'invalid' | 'replayed' = 'invalid';
  if (useRecovery && factor && pepper) {
    method = 'recovery_code';
    const hashes = [...(factor.recoveryHashes ?? [])];
    const hash = hashes[matchRecoveryCode(proof.recoveryCode ?? '', hashes, pepper, challenge.customerId)];
    if (hash !== undefined) {
      ok = true;
      factorItem = store.useRecoveryCodeItem(challenge.customerId, hash);
      recoveryCodesLeft = hashes.length - 1;
    }
  } else if (challenge.channel === 'totp' && factor) {
    method = 'totp';
    const result = await verifyTotp(await openSecret(factor), proof.code ?? '', now, {
      lastUsedStep: factor.lastUsedStep,
    });
    if (result.ok) {
      ok = true;
      factorItem = store.useTotpStepItem(challenge.customerId, result.step);
    } else {
      reason = result.reason;
    }
  } else {
    method = 'one_time_code';
    ok =
      pepper !== undefined &&
      verifyCodeHash(proof.code ?? '', challenge.codeHash ?? '', pepper, challenge.id);
  }
  if (!ok) return failCheck(challenge, guard, method, reason, attempts, clock);
  return {
    challenge,
    method,
    // The factor item (if any) is second: completeCheck reads its cancellation reason there.
    items: [store.verifyChallengeItem(challenge, attempts, nowMs), ...(factorItem ? [factorItem] : [])],
    guard,
    ...(recoveryCodesLeft === undefined ? {} : { recoveryCodesLeft }),
  };
}

function assertOpen(challenge: ChallengeRecord, nowMs: number): void {
  if (challenge.status !== 'pending') throw challengeUsed();
  if (challenge.expiresAtMs <= nowMs) throw challengeExpired();
  if (challenge.attempts >= MAX_CHECKS_PER_CHALLENGE) throw challengeExhausted();
}

/** Records a failed check (audit, lock + alert at the threshold) and throws `code_invalid`. */
async function failCheck(
  challenge: ChallengeRecord,
  guard: GuardState,
  method: Method,
  reason: 'invalid' | 'replayed',
  attempts: number,
  clock: Clock,
): Promise<never> {
  const items: TransactItem[] = [
    auditItem(
      {
        action: 'twofa.failed',
        subject: challenge.customerId,
        actor: challenge.purpose === 'login' ? 'anonymous' : challenge.customerId,
        reason,
        metadata: {
          challengeId: challenge.id,
          purpose: challenge.purpose,
          method,
          attempt: attempts,
          consecutiveFailures: guard.failures,
        },
      },
      clock,
    ),
  ];
  const locked = guard.failures >= TWOFA_POLICY.lockAt;
  if (locked) {
    items.push(
      auditItem(
        {
          action: 'twofa.locked',
          subject: challenge.customerId,
          actor: 'system:twofa',
          reason: 'consecutive_failures',
          metadata: { consecutiveFailures: guard.failures, lockMinutes: TWOFA_POLICY.lockMs / 60_000 },
        },
        clock,
      ),
    );
  }
  await store.transact(items);
  if (locked) {
    await securityAlert(
      challenge.customerId,
      'Two-factor checks locked',
      `After ${guard.failures} wrong codes in a row, two-factor checks on your Tessera account are locked ` +
        `for ${TWOFA_POLICY.lockMs / 60_000} minutes. If this was not you, change your password now.`,
    );
  }
  throw codeInvalid(method === 'recovery_code' ? 'recoveryCode' : 'code');
}

/**
 * Commits a passed check with the caller's items in one transaction. A lost race on the factor
 * (the same TOTP step or recovery code used concurrently) counts as a replay: 422, nothing written.
 */
export async function completeCheck(
  check: PassedCheck,
  extra: TransactItem[],
  clock: Clock = defaultClock(),
): Promise<void> {
  const outcome = await store.transact([...check.items, ...extra]);
  if (!outcome.ok) {
    const [challengeReason, factorReason] = outcome.reasons;
    if (check.method !== 'one_time_code' && factorReason === 'ConditionalCheckFailed') {
      return failCheck(
        check.challenge,
        check.guard,
        check.method,
        'replayed',
        check.challenge.attempts + 1,
        clock,
      );
    }
    if (challengeReason === 'ConditionalCheckFailed') throw challengeUsed();
    throw conflict('concurrent_update', 'The request conflicted with another one. Try again.');
  }
  await resetGuard(check.guard);
  if (check.method === 'recovery_code') {
    await securityAlert(
      check.challenge.customerId,
      'A recovery code was used',
      `A recovery code was used for ${describeAction(check.challenge)} on your Tessera account. ` +
        `${check.recoveryCodesLeft ?? 0} recovery codes are left. If this was not you, contact support now.`,
    );
  }
}

/** Verifies a step-up and returns its token: 5 minutes, one use, bound to action/amount/payee. */
export async function verifyStepUp(
  customerId: string,
  challengeId: string,
  proof: ChallengeProof,
  clock: Clock = defaultClock(),
) {
  const check = await checkChallenge({ challengeId, purpose: 'step_up', customerId, proof }, clock);
  const { challenge } = check;
  const action = challenge.action as StepUpAction;
  const { token, expiresAt } = await signStepUpToken(
    {
      customerId,
      action,
      challengeId: challenge.id,
      ...(challenge.amount !== undefined && challenge.currency !== undefined
        ? { amount: { amount: challenge.amount, currency: challenge.currency } }
        : {}),
      ...(challenge.payee === undefined ? {} : { payee: challenge.payee }),
    },
    clock.now(),
  );
  await completeCheck(
    check,
    [
      auditItem(
        {
          action: 'twofa.step_up_verified',
          subject: customerId,
          actor: customerId,
          metadata: {
            challengeId: challenge.id,
            stepUpAction: action,
            method: check.method,
            ...(challenge.amount !== undefined && challenge.currency !== undefined
              ? { amount: challenge.amount, currency: challenge.currency }
              : {}),
          },
        },
        clock,
      ),
    ],
    clock,
  );
  return { stepUpToken: token, action, expiresAt: expiresAt.toISOString() };
}
