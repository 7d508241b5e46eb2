/**
 * The step-up gate for sensitive operations (adding a card, withdrawals, credit applications,
 * checkout approval, 2FA and contact changes).
 *
 *   const stepUp = await requireStepUp({ headers, customerId, action: 'withdrawal', amount, payee });
 *   await commit([stepUp, ...yourItems], result);   // one transaction: used once, or not at all
 *
 * The token in the `Step-Up-Token` header must be signed by us, at most 5 minutes old, issued to
 * this customer for this action and, for money, for exactly this amount, currency and payee (PSD2
 * dynamic linking). The returned item writes its single-use marker conditionally: add it as its own
 * part of the `Transaction` (lib/transactions.ts), and when `cancellation(error).lost('stepUp')`
 * the token was already used: answer `stepUpInvalid()` (403 `step_up_invalid`).
 *
 * Every refusal of this gate is audited here, for every action (issue 11: "every gate decision,
 * allowed or refused, and why"): `gate.step_up` under the customer (lib/gate-audit.ts), reason = the code
 * (`step_up_required`, `step_up_invalid`), metadata `stepUpAction` and, where it is known, `check`
 * (`missing`, `signature_or_expiry`, `customer`, `action`, `amount`, `payee`, `already_used`).
 * An allowed step-up is audited by the action it approves (its own audit item, in the transaction
 * that uses the token up), and a verified one by `twofa.step_up_verified` (verification.ts).
 */
import { type Clock, clock as defaultClock } from '../lib/clock.ts';
import { domainError } from '../lib/errors.ts';
import { auditGateRefusal } from '../lib/gate-audit.ts';
import {
  type Cancellation,
  isCancellation,
  type TransactItem,
  Transaction,
  writeTransaction,
} from '../lib/transactions.ts';
import type { StepUpAction } from './policy.ts';
import { consumeStepUpItem } from './store.ts';
import { verifyStepUpToken } from './tokens.ts';

export type { StepUpAction } from './policy.ts';

export const STEP_UP_HEADER = 'step-up-token';

export interface StepUpRequirement {
  /** Lower-cased request headers (the kernel's `headers`). */
  headers: Record<string, string | undefined>;
  customerId: string;
  action: StepUpAction;
  amount?: { amount: number; currency: string };
  payee?: string;
}

export const stepUpRequired = (action: StepUpAction) =>
  domainError(
    'denied',
    'step_up_required',
    `This request needs a fresh step-up for ${action}: POST /v1/me/step-up, verify it, then send the token in the Step-Up-Token header.`,
  );

export const stepUpInvalid = () =>
  domainError(
    'denied',
    'step_up_invalid',
    'The step-up token is invalid, expired, already used, or was issued for another action, amount or payee.',
  );

/**
 * Verifies the request's step-up token and returns the item that uses it up (commit it with yours).
 * Throws 403 `step_up_required` (no token) or `step_up_invalid` (forged, expired, or issued to
 * another customer, action, amount or payee), each audited first.
 */
export async function requireStepUp(
  input: StepUpRequirement,
  clock: Clock = defaultClock(),
): Promise<TransactItem> {
  const refuse = async (code: 'step_up_required' | 'step_up_invalid', check: string) => {
    await auditStepUpRefusal({ customerId: input.customerId, action: input.action }, code, check, clock);
    return code === 'step_up_required' ? stepUpRequired(input.action) : stepUpInvalid();
  };
  const raw = input.headers[STEP_UP_HEADER]?.trim();
  if (!raw) throw await refuse('step_up_required', 'missing');
  const now = clock.now();
  const claims = await verifyStepUpToken(raw, now);
  if (!claims) throw await refuse('step_up_invalid', 'signature_or_expiry');
  // What the token was issued for, in order; the first that differs names the refusal.
  const mismatch = (
    [
      ['customer', claims.customerId === input.customerId],
      ['action', claims.action === input.action],
      ['amount', sameAmount(claims.amount, input.amount)],
      ['payee', claims.payee === input.payee],
    ] as const
  ).find(([, matches]) => !matches)?.[0];
  if (mismatch) throw await refuse('step_up_invalid', mismatch);
  return consumeStepUpItem(claims.challengeId, input.customerId, input.action, claims.expiresAt, now);
}

/** Audits one refusal of the step-up gate as `gate.step_up` (lib/gate-audit.ts); never throws. */
function auditStepUpRefusal(
  who: { customerId: string; action: string },
  code: 'step_up_required' | 'step_up_invalid',
  check: string,
  clock: Clock,
): Promise<void> {
  const gate = { gate: 'step_up', customerId: who.customerId, metadata: { stepUpAction: who.action } };
  return auditGateRefusal(gate, code, { check }, clock);
}

/**
 * The refusal of a token already used (its single-use marker `stepUp` lost in the caller's
 * transaction): audits it and returns the 403 `step_up_invalid` to throw. For callers that commit
 * the step-up item in a transaction of their own and read its cancellation themselves.
 */
export async function stepUpAlreadyUsed(stepUp: TransactItem, clock: Clock = defaultClock()): Promise<Error> {
  const marker = stepUp.Put?.Item as { customerId?: string; action?: string } | undefined;
  if (marker?.customerId) {
    await auditStepUpRefusal(
      { customerId: marker.customerId, action: marker.action ?? 'unknown' },
      'step_up_invalid',
      'already_used',
      clock,
    );
  }
  return stepUpInvalid();
}

function sameAmount(
  approved: { amount: number; currency: string } | undefined,
  requested: { amount: number; currency: string } | undefined,
): boolean {
  if (approved === undefined || requested === undefined) return approved === requested;
  return approved.amount === requested.amount && approved.currency === requested.currency;
}

/** For callers without a transaction of their own: uses the token up on its own (403 if already used). */
export async function consumeStepUp(item: TransactItem, clock: Clock = defaultClock()): Promise<void> {
  await writeTransaction([item]).catch(async (error: unknown) => {
    throw isCancellation(error) ? await stepUpAlreadyUsed(item, clock) : error;
  });
}

/**
 * Commits `change` with the step-up item that approves it, in one transaction: 403
 * `step_up_invalid` when the token was used meanwhile (audited); any other cancellation is mapped
 * by `onCancel` (read by `change`'s part names). Nothing is written in either case.
 */
export async function commitWithStepUp<K extends string>(
  stepUp: TransactItem,
  change: Transaction<K>,
  onCancel: (cancelled: Cancellation<K>) => Error,
  clock: Clock = defaultClock(),
): Promise<void> {
  let reused = false;
  const tx = new Transaction<K | 'stepUp'>().add('stepUp', stepUp).addAll(change);
  await tx
    .write(writeTransaction, (cancelled) => {
      reused = cancelled.lost('stepUp');
      return reused ? stepUpInvalid() : onCancel(cancelled);
    })
    .catch(async (error: unknown) => {
      throw reused ? await stepUpAlreadyUsed(stepUp, clock) : error;
    });
}
