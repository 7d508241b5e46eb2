/**
 * `POST /v1/admin/disputes/{id}/resolve`: an operator ends the investigation.
 * - `fraud_confirmed`: the shopper owes nothing (Regulation E, 12 CFR 1005.6: zero liability for an
 *   unauthorized transfer reported in time; Tessera waives all of it). The orders face cancels every
 *   unpaid installment and refunds what the card paid, fees included, to the card (by charge id; a
 *   refused return is retried by collection); what the customer's balance paid is credited back to
 *   the balance as the dispute's own outcome (ledger reason `dispute`, reference the dispute id, once:
 *   the balance face's inbox item is conditional on that key; docs/adr/0032); the card is flagged
 *   by its fingerprint (`CARDFLAG#<fp>`, for account monitoring: every token of the card number, any
 *   customer's); the dispute is `lost` for the merchant.
 * - `rejected`: collection resumes, every unpaid installment's due date moved later by the days
 *   paused; the dispute is `won` for the merchant; the shopper is told why (the operator's note).
 * Either way the merchant gets `dispute.resolved`, and the resolution is audited, in the same
 * transaction as the order's change. Resolving again with the same outcome returns the dispute.
 */
import { balanceCreditItem } from '../balance/credits.ts';
import type { Clock } from '../lib/clock.ts';
import { DomainError } from '../lib/errors.ts';
import { logger } from '../lib/logger.ts';
import type { CurrencyCode } from '../lib/money.ts';
import { isCancellation, type TransactItem } from '../lib/transactions.ts';
import type { Commit } from '../lib/use-case.ts';
import { creditFraud, resumeAfterDispute } from '../orders/collection-face.ts';
import type { CardProcessor } from '../payments/processor.ts';
import { type Fulfilment, recordFraudDisputeOutcome } from '../settlements/liability.ts';
import { noticeResolved } from './notices.ts';
import type { DisputeOutcome, DisputeResponse } from './schema.ts';
import {
  cardFlaggedItem,
  cardFlagItem,
  cardFlagKey,
  type DisputeRecord,
  getDispute,
  putDisputeItem,
  queueItem,
} from './store.ts';
import { changeRecords, toDispute } from './view.ts';

type Resolution = NonNullable<DisputeRecord['resolution']>;

export async function requireDispute(id: string): Promise<DisputeRecord> {
  const dispute = await getDispute(id);
  if (!dispute) throw new DomainError('not_found', 'resource_missing', `No such dispute: ${id}.`, 'id');
  return dispute;
}

/** What the outcome does to the order: its writes, the resolution's figures, what follows the commit. */
async function orderOutcome(
  dispute: DisputeRecord,
  base: Pick<Resolution, 'outcome' | 'note' | 'resolvedAt' | 'resolvedBy'>,
  clock: Clock,
  processor: () => CardProcessor,
): Promise<{ resolution: Resolution; orderItems: TransactItem[]; afterCommit?: () => Promise<void> }> {
  if (base.outcome === 'rejected') {
    const resumed = await resumeAfterDispute(dispute.orderId, dispute.id, clock);
    return {
      resolution: { ...base, pausedDays: resumed.pausedDays, creditedAmount: 0, cancelledAmount: 0 },
      orderItems: resumed.items,
    };
  }
  const credit = await creditFraud(dispute.orderId, dispute.id, clock);
  const flag = {
    cardToken: credit.cardToken,
    ...(credit.cardFingerprint ? { cardFingerprint: credit.cardFingerprint } : {}),
    disputeId: dispute.id,
    orderId: dispute.orderId,
  };
  const { exposure, toBalance } = credit;
  // The balance's share comes back as this dispute's own credit (once per dispute id).
  const balanceCredit =
    toBalance.amount > 0
      ? [balanceCreditItem({ ...toBalance, reason: 'dispute', reference: dispute.id }, clock.now())]
      : [];
  return {
    resolution: {
      ...base,
      pausedDays: 0,
      creditedAmount: credit.returned,
      balanceCreditedAmount: toBalance.amount,
      cancelledAmount: credit.cancelled,
      ...(credit.refundId ? { refundId: credit.refundId } : {}),
    },
    orderItems: [
      ...credit.items,
      ...balanceCredit,
      cardFlagItem(
        { ...flag, customerId: dispute.customerId, merchantId: dispute.merchantId },
        base.resolvedAt,
      ),
      cardFlaggedItem(cardFlagKey(flag), dispute.id, base.resolvedAt),
    ],
    afterCommit: async () => {
      await credit.afterCommit(processor);
      await bookMerchantLiability(dispute, exposure, base.resolvedAt, clock);
    },
  };
}

/**
 * Charges the merchant a confirmed fraud where the liability rule says it bears it (settlements,
 * ADR 0020: shipped without tracking or elsewhere); otherwise Tessera bears it and nothing is booked.
 * Keyed by the dispute id in the ledger, so a repeat books nothing twice. Logged, never thrown: the
 * shopper's credit stands either way.
 */
async function bookMerchantLiability(
  dispute: DisputeRecord,
  exposure: { merchantId: string; currency: CurrencyCode; amount: number; fulfilment: Fulfilment },
  confirmedAt: string,
  clock: Clock,
): Promise<void> {
  if (exposure.amount <= 0) return;
  try {
    await recordFraudDisputeOutcome(
      {
        disputeId: dispute.id,
        orderId: dispute.orderId,
        merchantId: exposure.merchantId,
        currency: exposure.currency,
        amount: exposure.amount,
        fulfilment: exposure.fulfilment,
        confirmedAt,
      },
      clock,
    );
  } catch (error) {
    logger.error('dispute liability not booked: book it by hand (docs/runbook.md, disputes)', {
      disputeId: dispute.id,
      error: error as Error,
    });
  }
}

/**
 * The answer of a resolution that failed with `error` after a concurrent one may have committed
 * (the order no longer on hold, or a condition lost): the dispute as resolved meanwhile when the
 * outcome is the same (what a repeat answers); rejected `dispute_resolved` when it is the other;
 * `error` itself (thrown) when the dispute is still unresolved.
 */
async function afterRace(id: string, outcome: DisputeOutcome, error: unknown): Promise<DisputeResponse> {
  const now = await getDispute(id);
  if (!now?.resolution) throw error;
  if (now.resolution.outcome !== outcome) throw alreadyResolved(now.resolution.outcome);
  return toDispute(now);
}

const alreadyResolved = (outcome: DisputeOutcome) =>
  new DomainError('rejected', 'dispute_resolved', `The dispute was resolved ${outcome}.`);

/**
 * Resolves dispute `id` with `outcome`; a repeat, or a request that lost a race to a resolution
 * with the same outcome, answers the dispute as resolved. Refusals: not_found; rejected
 * `dispute_resolved` (already resolved with the other outcome), `refund_too_large`; conflict `installment_charging` (a charge
 * begun before the filing is in flight), `concurrent_update`.
 */
export async function resolveDispute(
  operator: { operatorArn: string },
  id: string,
  body: { outcome: DisputeOutcome; note: string },
  commit: Commit<DisputeResponse>,
  clock: Clock,
  processor: () => CardProcessor,
): Promise<DisputeResponse> {
  const dispute = await requireDispute(id);
  if (dispute.resolution) {
    if (dispute.resolution.outcome === body.outcome) return toDispute(dispute);
    throw alreadyResolved(dispute.resolution.outcome);
  }
  const now = clock.now();
  const at = now.toISOString();
  const base = { outcome: body.outcome, note: body.note, resolvedAt: at, resolvedBy: operator.operatorArn };
  let planned: Awaited<ReturnType<typeof orderOutcome>>;
  try {
    planned = await orderOutcome(dispute, base, clock, processor);
  } catch (error) {
    return afterRace(id, body.outcome, error);
  }
  const { resolution, orderItems, afterCommit } = planned;
  const after: DisputeRecord = {
    ...dispute,
    status: body.outcome === 'fraud_confirmed' ? 'lost' : 'won',
    resolution,
    version: dispute.version + 1,
    updatedAt: at,
  };
  const items = [
    ...orderItems,
    putDisputeItem(after, dispute.version),
    queueItem(after),
    ...changeRecords(
      'dispute.resolved',
      after,
      {
        action: 'dispute.resolved',
        actor: operator.operatorArn,
        reason: body.outcome,
        metadata: {
          creditedAmount: resolution.creditedAmount,
          balanceCreditedAmount: resolution.balanceCreditedAmount ?? 0,
          pausedDays: resolution.pausedDays,
        },
      },
      clock,
    ),
  ];
  try {
    await commit(items, toDispute(after));
  } catch (error) {
    if (!isCancellation(error)) throw error;
    return afterRace(
      id,
      body.outcome,
      new DomainError('conflict', 'concurrent_update', 'The dispute or its order changed meanwhile; retry.'),
    );
  }
  await afterCommit?.();
  await noticeResolved(after, now);
  return toDispute(after);
}
