/**
 * Answering a challenge (login MFA or step-up) with a TOTP code, a one-time code or a recovery
 * code. Every check is counted before it is verified (per challenge and per customer), every code
 * is accepted once (TOTP step stored, recovery code removed, challenge marked verified) through
 * conditional writes, and nothing secret reaches a table, a log or an audit.
 */
import { auditItem } from '../lib/audit.ts';
import { type Clock, clock as defaultClock } from '../lib/clock.ts';
import { domainError } from '../lib/errors.ts';
import { type TransactItem, Transaction, writeTransaction } from '../lib/transactions.ts';
import { type GuardState, reserveAttempt, resetGuard } from '../sessions/access.ts';
import { describeAction } from './challenges.ts';
import { matchRecoveryCode, verifyCodeHash } from './codes.ts';
import { securityAlert } from './contacts.ts';
import {
  challengeExhausted,
  challengeExpired,
  challengeMissing,
  challengeUsed,
  codeInvalid,
  factorBlocked,
} from './errors.ts';
import { codePepper } from './keys.ts';
import {
  MAX_CHECKS_PER_CHALLENGE,
  RECOVERY_CODE_ACTIONS,
  type StepUpAction,
  TWOFA_POLICY,
} from './policy.ts';
import type { ChallengeProof } from './schema.ts';
import { openSecret } from './secret.ts';
import type { ChallengeRecord, TwoFactorRecord } from './store.ts';
import * as store from './store.ts';
import { signStepUpToken } from './tokens.ts';
import { verifyTotp } from './totp.ts';

type Method = 'totp' | 'one_time_code' | 'recovery_code';

export interface PassedCheck {
  challenge: ChallengeRecord;
  method: Method;
  /** Marks the challenge verified (once, by this check): commit with yours through `completeCheck`. */
  challengeItem: TransactItem;
  /** Uses up the factor (the TOTP step, the recovery code); none for a one-time code. */
  factorItem?: TransactItem;
  guard: GuardState;
  recoveryCodesLeft?: number;
}

interface ProofResult {
  method: Method;
  ok: boolean;
  reason: 'invalid' | 'replayed';
  factorItem?: TransactItem;
  recoveryCodesLeft?: number;
}

/** Throws 422 unless the challenge is pending, unexpired and has checks left. */
export function assertOpen(challenge: ChallengeRecord, nowMs: number): void {
  if (challenge.status !== 'pending') throw challengeUsed();
  if (challenge.expiresAtMs <= nowMs) throw challengeExpired();
  if (challenge.attempts >= MAX_CHECKS_PER_CHALLENGE) throw challengeExhausted();
}

/** The open challenge and, when the proof needs it, the customer's active factor. */
async function openChallenge(
  input: {
    challengeId: string;
    purpose: ChallengeRecord['purpose'];
    customerId?: string;
    proof: ChallengeProof;
  },
  nowMs: number,
): Promise<{ challenge: ChallengeRecord; factor: TwoFactorRecord | undefined }> {
  const challenge = await store.getChallenge(input.challengeId);
  if (
    !challenge ||
    challenge.purpose !== input.purpose ||
    (input.customerId !== undefined && challenge.customerId !== input.customerId)
  ) {
    throw challengeMissing();
  }
  assertOpen(challenge, nowMs);
  const useRecovery = input.proof.recoveryCode !== undefined;
  if (
    useRecovery &&
    challenge.purpose !== 'login' &&
    !RECOVERY_CODE_ACTIONS.has(challenge.action as StepUpAction)
  ) {
    throw domainError(
      'rejected',
      'recovery_code_not_allowed',
      'A recovery code cannot approve this action. Use your authenticator app.',
      'recoveryCode',
    );
  }
  const needsFactor = useRecovery || challenge.channel === 'totp';
  const factor = needsFactor ? await store.getTwoFactor(challenge.customerId) : undefined;
  if (needsFactor && factor?.status !== 'active') {
    throw domainError(
      'rejected',
      'two_factor_not_enabled',
      'Two-factor authentication is not on.',
      useRecovery ? 'recoveryCode' : 'code',
    );
  }
  return { challenge, factor };
}

/** Counts the check (per challenge and per customer) before the code is looked at; 429 when blocked. */
async function countCheck(challenge: ChallengeRecord, nowMs: number): Promise<GuardState> {
  const reservation = await reserveAttempt(
    [{ key: store.twofaGuardKey(challenge.customerId), policy: TWOFA_POLICY }],
    nowMs,
    {
      items: [store.reserveChallengeCheckItem(challenge, nowMs, MAX_CHECKS_PER_CHALLENGE)],
      onExtraConflict: async () => {
        const fresh = await store.getChallenge(challenge.id);
        if (fresh) assertOpen(fresh, nowMs);
        throw domainError('conflict', 'challenge_busy', 'Another check of this challenge is in progress.');
      },
    },
  );
  if (reservation.kind === 'blocked') throw factorBlocked(reservation.retryAfterMs, reservation.locked);
  const [guard] = reservation.guards;
  if (!guard) throw new Error('guard missing');
  return guard;
}

/** Checks the proof itself: a recovery code, a TOTP code (not an already used step) or a one-time code. */
async function verifyProof(
  challenge: ChallengeRecord,
  factor: TwoFactorRecord | undefined,
  proof: ChallengeProof,
  now: Date,
): Promise<ProofResult> {
  const useRecovery = proof.recoveryCode !== undefined;
  const pepper = useRecovery || challenge.channel !== 'totp' ? await codePepper() : undefined;
  if (useRecovery && factor && pepper) {
    const hashes = [...(factor.recoveryHashes ?? [])];
    const hash = hashes[matchRecoveryCode(proof.recoveryCode ?? '', hashes, pepper, challenge.customerId)];
    if (hash === undefined) return { method: 'recovery_code', ok: false, reason: 'invalid' };
    return {
      method: 'recovery_code',
      ok: true,
      reason: 'invalid',
      factorItem: store.useRecoveryCodeItem(challenge.customerId, hash),
      recoveryCodesLeft: hashes.length - 1,
    };
  }
  if (challenge.channel === 'totp' && factor) {
    const result = await verifyTotp(await openSecret(factor), proof.code ?? '', now, {
      lastUsedStep: factor.lastUsedStep,
    });
    if (!result.ok) return { method: 'totp', ok: false, reason: result.reason };
    return {
      method: 'totp',
      ok: true,
      reason: 'invalid',
      factorItem: store.useTotpStepItem(challenge.customerId, result.step),
    };
  }
  const ok =
    pepper !== undefined && verifyCodeHash(proof.code ?? '', challenge.codeHash ?? '', pepper, challenge.id);
  return { method: 'one_time_code', ok, reason: 'invalid' };
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
  const { challenge, factor } = await openChallenge(input, nowMs);
  const guard = await countCheck(challenge, nowMs);
  const attempts = challenge.attempts + 1;
  const proof = await verifyProof(challenge, factor, input.proof, now);
  if (!proof.ok) return failCheck(challenge, guard, proof.method, proof.reason, attempts, clock);
  return {
    challenge,
    method: proof.method,
    challengeItem: store.verifyChallengeItem(challenge, attempts, nowMs),
    ...(proof.factorItem ? { factorItem: proof.factorItem } : {}),
    guard,
    ...(proof.recoveryCodesLeft === undefined ? {} : { recoveryCodesLeft: proof.recoveryCodesLeft }),
  };
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
  await writeTransaction(items);
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
  const tx = new Transaction<'challenge' | 'factor' | 'caller'>()
    .add('challenge', check.challengeItem)
    .add('factor', ...(check.factorItem ? [check.factorItem] : []))
    .add('caller', ...extra);
  try {
    await writeTransaction(tx.items);
  } catch (error) {
    const cancelled = tx.cancellation(error);
    if (!cancelled) throw error;
    if (cancelled.lost('factor')) {
      const { challenge, guard, method } = check;
      return failCheck(challenge, guard, method, 'replayed', challenge.attempts + 1, clock);
    }
    if (cancelled.lost('challenge')) throw challengeUsed();
    throw domainError('conflict', 'concurrent_update', 'The request conflicted with another one. Try again.');
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

/**
 * Verifies a step-up and returns its token: 5 minutes, one use, bound to action/amount/payee.
 * Errors as `checkChallenge` and `completeCheck`.
 */
export async function verifyStepUp(
  customerId: string,
  challengeId: string,
  proof: ChallengeProof,
  clock: Clock = defaultClock(),
) {
  const check = await checkChallenge({ challengeId, purpose: 'step_up', customerId, proof }, clock);
  const { challenge } = check;
  const action = challenge.action as StepUpAction;
  const amount =
    challenge.amount !== undefined && challenge.currency !== undefined
      ? { amount: challenge.amount, currency: challenge.currency }
      : undefined;
  const { token, expiresAt } = await signStepUpToken(
    {
      customerId,
      action,
      challengeId: challenge.id,
      ...(amount ? { amount } : {}),
      ...(challenge.payee === undefined ? {} : { payee: challenge.payee }),
    },
    clock.now(),
  );
  const audit = auditItem(
    {
      action: 'twofa.step_up_verified',
      subject: customerId,
      actor: customerId,
      metadata: { challengeId: challenge.id, stepUpAction: action, method: check.method, ...amount },
    },
    clock,
  );
  await completeCheck(check, [audit], clock);
  return { stepUpToken: token, action, expiresAt: expiresAt.toISOString() };
}
