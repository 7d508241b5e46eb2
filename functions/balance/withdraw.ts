/**
 * `POST /v1/me/withdrawals { amount, currency, cardToken }`: pays part of the balance out to one of
 * the shopper's saved cards. Gates, in order, each refusal audited with its code and nothing moved:
 *   1. identity `verified` and unexpired (403 `identity_not_verified`);
 *   2. no open high-severity account flag (403 `account_flagged`);
 *   3. the card is the shopper's (404), the amount within the per-currency maximum (422 `amount_too_large`);
 *   4. a step-up token for `withdrawal` bound to this amount, currency and card (PSD2 dynamic linking,
 *      RTS Art. 5; 403 `step_up_required` / `step_up_invalid`);
 *   5. the balance covers it (422 `insufficient_balance`).
 * The debit, the withdrawal record, the step-up's single use and the `allowed` audit commit in one
 * transaction conditioned on the ledger head (ledger.ts): concurrent withdrawals never overdraw.
 * Then the CardProcessor pays out with the withdrawal id as its idempotency key; a refused payout is
 * reversed by a credit entry (in one transaction with `failed`) and answered 422 `payout_failed`
 * (the balance is as before). A payout that errors (the answer was lost) leaves the withdrawal
 * `pending`, its debit standing; the withdrawal reconciler (./reconcile.ts) later settles it from
 * the processor's record of that key, and nothing sent with the same key can pay twice.
 */

import { identityNotVerified, identityStatus } from '../identity/gate.ts';
import type { Clock } from '../lib/clock.ts';
import { tableName } from '../lib/dynamodb.ts';
import { DomainError } from '../lib/errors.ts';
import { auditedGate, type GateChecks } from '../lib/gate-audit.ts';
import { newId } from '../lib/ids.ts';
import { logger } from '../lib/logger.ts';
import { formatMoney, usdMinorEquivalent } from '../lib/money.ts';
import type { OriginHashes } from '../lib/origin.ts';
import { conditionHolds, type TransactItem, Transaction } from '../lib/transactions.ts';
import { hasOpenHighSeverityFlag, screenMoneyOut } from '../monitoring/risk.ts';
import type { CardProcessor } from '../payments/processor.ts';
import { applyBalanceCredits } from './credits.ts';
import { balanceOf, insufficientBalance, post } from './ledger.ts';
import { pendingIndex, settlePayout } from './payout-settle.ts';
import { withdrawalMax } from './policy.ts';
import type { WithdrawalBody, WithdrawalResponse } from './schema.ts';

/** The shopper, and the device and IP the request came from (keyed hashes) for account monitoring. */
export interface WithdrawalPrincipal {
  customerId: string;
  origin?: OriginHashes;
}

export interface WithdrawalPorts {
  getCard(customerId: string, token: string): Promise<{ token: string; last4: string }>;
  requireStepUp(input: {
    headers: Record<string, string | undefined>;
    customerId: string;
    action: 'withdrawal';
    amount: { amount: number; currency: string };
    payee: string;
  }): Promise<TransactItem>;
  processor(): CardProcessor;
}

const stepUpUsed = () =>
  new DomainError(
    'denied',
    'step_up_invalid',
    'The step-up token is invalid, expired, already used, or was issued for another action, amount or payee.',
  );

/** Gates 1–5; returns the step-up item that approves this withdrawal, and what passed (for the audit). */
async function passGates(
  { customerId, origin }: WithdrawalPrincipal,
  body: WithdrawalBody,
  headers: Record<string, string | undefined>,
  ports: WithdrawalPorts,
  clock: Clock,
): Promise<{ stepUp: TransactItem; checks: GateChecks }> {
  const status = await identityStatus(customerId, clock);
  if (status !== 'verified') throw identityNotVerified(status);
  if (await hasOpenHighSeverityFlag(customerId)) {
    throw new DomainError(
      'denied',
      'account_flagged',
      'Your account is under review; withdrawals are paused.',
    );
  }
  const risk = await screenMoneyOut(
    {
      action: 'withdrawal',
      customerId,
      amountUsdMinor: usdMinorEquivalent(body.amount, body.currency),
      ...origin,
    },
    clock,
  );
  await ports.getCard(customerId, body.cardToken);
  if (body.amount > withdrawalMax(body.currency)) {
    throw new DomainError(
      'rejected',
      'amount_too_large',
      `One withdrawal may move at most ${formatMoney(withdrawalMax(body.currency), body.currency)}.`,
      'amount',
    );
  }
  const stepUp = await ports.requireStepUp({
    headers,
    customerId,
    action: 'withdrawal',
    amount: { amount: body.amount, currency: body.currency },
    payee: body.cardToken,
  });
  // A used token is refused as such, before the balance is looked at.
  if (!(await conditionHolds(stepUp))) throw stepUpUsed();
  await applyBalanceCredits(customerId, clock);
  const balance = await balanceOf(customerId, body.currency);
  if (body.amount > balance) throw insufficientBalance(balance, body.currency);
  const checks = {
    identity: status,
    accountFlags: 'none',
    risk: risk.decision,
    stepUp: 'verified',
    balance: 'covered',
  };
  return { stepUp, checks };
}

function withdrawalItem(record: WithdrawalResponse & { customerId: string }): TransactItem {
  return {
    Put: {
      TableName: tableName(),
      Item: {
        pk: `BALANCE#${record.customerId}`,
        sk: `WITHDRAWAL#${record.id}`,
        type: 'withdrawal',
        ...record,
        // Found by the reconciler while pending (./payout-settle.ts, ./reconcile.ts).
        ...pendingIndex(record),
      },
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  };
}

export async function withdraw(
  principal: WithdrawalPrincipal,
  body: WithdrawalBody,
  headers: Record<string, string | undefined>,
  ports: WithdrawalPorts,
  clock: Clock,
): Promise<WithdrawalResponse> {
  const { customerId } = principal;
  const metadata = { amount: body.amount, currency: body.currency, cardToken: body.cardToken };
  const gate = { gate: 'withdrawal', customerId, metadata };
  return auditedGate(gate, clock, async (allowed) => {
    const { stepUp, checks } = await passGates(principal, body, headers, ports, clock);
    const now = clock.now();
    const id = newId('withdrawal', now);
    let record: (WithdrawalResponse & { customerId: string }) | undefined;
    await post(
      { customerId, currency: body.currency, amount: -body.amount, reason: 'withdrawal', reference: id },
      clock,
      {
        with: (entry) => {
          record = {
            object: 'withdrawal',
            id,
            customerId,
            amount: body.amount,
            currency: body.currency,
            cardToken: body.cardToken,
            status: 'pending',
            balanceAfter: entry.balanceAfter,
            createdAt: now.toISOString(),
          };
          return new Transaction<'stepUp' | 'withdrawal' | 'audit'>()
            .add('stepUp', stepUp)
            .add('withdrawal', withdrawalItem(record))
            .add('audit', allowed(checks, { withdrawalId: id }));
        },
        onCancel: (cancelled) => (cancelled.lost('stepUp') ? stepUpUsed() : undefined),
      },
    );
    if (!record) throw new Error('withdrawal: the posting wrote no record');
    return payOut(record, ports.processor(), clock);
  });
}

/** Pays the committed withdrawal out; a refused payout is reversed and answered 422 `payout_failed`. */
async function payOut(
  record: WithdrawalResponse & { customerId: string },
  processor: CardProcessor,
  clock: Clock,
): Promise<WithdrawalResponse> {
  const { customerId: _c, ...response } = record;
  let outcome: Awaited<ReturnType<NonNullable<CardProcessor['payout']>>>;
  try {
    outcome = processor.payout
      ? await processor.payout({
          cardToken: record.cardToken,
          customerId: record.customerId,
          amount: record.amount,
          currency: record.currency,
          idempotencyKey: record.id,
          reason: `withdrawal ${record.id}`,
        })
      : { status: 'failed', code: 'processing_error', message: 'This processor does not pay out to cards.' };
  } catch (error) {
    // The reconciler settles it from the processor's record of this key (./reconcile.ts).
    logger.error('payout failed to complete; the withdrawal stays pending', {
      withdrawalId: record.id,
      error: error as Error,
    });
    return response;
  }
  if (outcome.status === 'succeeded') {
    await settlePayout(record, outcome, clock);
    return { ...response, status: 'paid' };
  }
  // The reversal and `failed` commit together (./payout-settle.ts).
  await settlePayout(record, { status: 'failed', reason: outcome.code }, clock);
  throw new DomainError(
    'rejected',
    'payout_failed',
    `The card refused the payout (${outcome.code}); your balance is unchanged.`,
  );
}
