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
 */
import { type Clock, clock as defaultClock } from '../lib/clock.ts';
import { domainError } from '../lib/errors.ts';
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

/** Verifies the request's step-up token and returns the item that uses it up (commit it with yours). */
export async function requireStepUp(
  input: StepUpRequirement,
  clock: Clock = defaultClock(),
): Promise<TransactItem> {
  const raw = input.headers[STEP_UP_HEADER]?.trim();
  if (!raw) throw stepUpRequired(input.action);
  const now = clock.now();
  const claims = await verifyStepUpToken(raw, now);
  if (
    !claims ||
    claims.customerId !== input.customerId ||
    claims.action !== input.action ||
    !sameAmount(claims.amount, input.amount) ||
    claims.payee !== input.payee
  ) {
    throw stepUpInvalid();
  }
  return consumeStepUpItem(claims.challengeId, input.customerId, claims.expiresAt, now);
}

function sameAmount(
  approved: { amount: number; currency: string } | undefined,
  requested: { amount: number; currency: string } | undefined,
): boolean {
  if (approved === undefined || requested === undefined) return approved === requested;
  return approved.amount === requested.amount && approved.currency === requested.currency;
}

/** For callers without a transaction of their own: uses the token up on its own (403 if already used). */
export async function consumeStepUp(item: TransactItem): Promise<void> {
  await writeTransaction([item]).catch((error: unknown) => {
    throw isCancellation(error) ? stepUpInvalid() : error;
  });
}

/**
 * Commits `change` with the step-up item that approves it, in one transaction: 403
 * `step_up_invalid` when the token was used meanwhile; any other cancellation is mapped by
 * `onCancel` (read by `change`'s part names). Nothing is written in either case.
 */
export async function commitWithStepUp<K extends string>(
  stepUp: TransactItem,
  change: Transaction<K>,
  onCancel: (cancelled: Cancellation<K>) => Error,
): Promise<void> {
  const tx = new Transaction<K | 'stepUp'>().add('stepUp', stepUp).addAll(change);
  await tx.write(writeTransaction, (cancelled) =>
    cancelled.lost('stepUp') ? stepUpInvalid() : onCancel(cancelled),
  );
}
