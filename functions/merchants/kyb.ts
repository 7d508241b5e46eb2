/**
 * KYB checks: submitted for a merchant in `pending_review`, decided by the provider's signed
 * callback. `approved` activates the merchant, `rejected` rejects it, `review` leaves it in
 * `pending_review` with its check `in_review` for an operator to decide (./compliance.ts). A decision
 * never overrides an operator: once the merchant has left `pending_review`, a late callback is
 * recorded on the check only.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { auditItem } from '../lib/audit.ts';
import { type Clock, clock as defaultClock } from '../lib/clock.ts';
import { ddb, tableName } from '../lib/dynamodb.ts';
import { DomainError, notFound } from '../lib/errors.ts';
import { newId } from '../lib/ids.ts';
import { logger } from '../lib/logger.ts';
import { readSignedCallback } from '../lib/signature.ts';
import { type TransactItem, writeUnlessCancelled } from '../lib/transactions.ts';
import { statusAudit } from './compliance.ts';
import type { KybDecision } from './kyb-port.ts';
import { kybProvider } from './kyb-provider.ts';
import { KYB_SIGNATURE_TOLERANCE_SECONDS, kybCallbackSecret } from './kyb-signature.ts';
import { type BusinessDetails, KybCallbackBody, type KybStatus, type MerchantResponse } from './schema.ts';
import { toResponse } from './service.ts';
import * as store from './store.ts';

const KYB_STATUS: Readonly<Record<KybDecision, KybStatus>> = {
  approved: 'approved',
  rejected: 'rejected',
  review: 'in_review',
};

/**
 * Starts a KYB check of `business` for merchant `merchantId` (which must be `pending_review`) and
 * submits it to the provider; returns the merchant as it stands after submission (the sandbox
 * decides at once). Errors: 404 `resource_missing`; 409 `merchant_not_pending_review`,
 * `concurrent_update`.
 */
export async function startKybCheck(
  merchantId: string,
  business: BusinessDetails,
  actor: string,
  clock: Clock = defaultClock(),
): Promise<MerchantResponse> {
  const merchant = await store.requireMerchant(merchantId);
  if (merchant.status !== 'pending_review') {
    throw new DomainError(
      'conflict',
      'merchant_not_pending_review',
      `A KYB check runs for a merchant in \`pending_review\`; this one is \`${merchant.status}\`.`,
    );
  }
  const provider = kybProvider((body, signature) => receiveKybCallback(body, signature, clock), clock);
  const now = clock.now();
  const kyb = {
    id: newId('kybCheck', now),
    status: 'pending' as const,
    provider: provider.name,
    createdAt: now.toISOString(),
  };
  await store.writeItems([
    ...store.statusChangeItems(merchant, 'pending_review', kyb.createdAt, { kyb }),
    {
      Put: {
        TableName: tableName(),
        Item: { ...store.kybCheckKey(kyb.id), type: 'kybCheck', merchantId, ...kyb },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    },
    auditItem(
      { action: 'merchant.kyb_started', subject: merchantId, actor, metadata: { checkId: kyb.id } },
      clock,
    ),
  ]);
  try {
    await provider.submit({ checkId: kyb.id, merchantId, business });
  } catch (error) {
    // The check stays `pending`: the provider may still answer, or an operator decides.
    logger.error('KYB submission failed', { merchantId, checkId: kyb.id, error: error as Error });
  }
  return toResponse(await store.requireMerchant(merchantId));
}

interface KybCheckItem {
  id: string;
  merchantId: string;
  status: KybStatus;
  provider: string;
  createdAt: string;
}

/**
 * A provider's decision callback: `rawBody` exactly as received, `signature` its `Kyb-Signature`.
 * Errors: 400 `callback_signature_invalid` (unsigned, forged, or outside the 5-minute window); 400 for a
 * body that is not a callback; 404 `resource_missing` (no such check); 409 `callback_replayed`
 * (this callback id was received before) or `kyb_check_decided` (the check has its final decision).
 */
export async function receiveKybCallback(
  rawBody: string,
  signature: string | undefined,
  clock: Clock = defaultClock(),
): Promise<void> {
  const now = clock.now();
  const callback = readSignedCallback(
    KybCallbackBody,
    rawBody,
    signature,
    await kybCallbackSecret(),
    now,
    KYB_SIGNATURE_TOLERANCE_SECONDS,
  );
  const { Item } = await ddb().send(
    new GetCommand({
      TableName: tableName(),
      Key: store.kybCheckKey(callback.checkId),
      ConsistentRead: true,
    }),
  );
  if (!Item) throw notFound(`No such KYB check: ${callback.checkId}.`, 'checkId');
  const check = Item as KybCheckItem;
  const merchant = await store.requireMerchant(check.merchantId);
  const status = KYB_STATUS[callback.decision];
  const at = now.toISOString();
  const kyb = { ...(merchant.kyb ?? check), id: check.id, status, decidedAt: at, reasons: callback.reasons };
  const items: TransactItem[] = [
    {
      Put: {
        TableName: tableName(),
        Item: {
          ...store.kybCallbackKey(callback.id),
          type: 'kybCallback',
          checkId: check.id,
          receivedAt: at,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    },
    {
      Update: {
        TableName: tableName(),
        Key: store.kybCheckKey(check.id),
        UpdateExpression: 'SET #status = :status, decidedAt = :at',
        ConditionExpression: '#status IN (:pending, :review)',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':status': status,
          ':at': at,
          ':pending': 'pending',
          ':review': 'in_review',
        },
      },
    },
    ...merchantItems(merchant, callback.decision, kyb, at, check.provider, clock),
  ];
  const written = await writeUnlessCancelled(items);
  if (!written) await explainRefusal(callback.id, check.id);
}

/** The merchant's side of a decision: its status moves only while it is still `pending_review`. */
function merchantItems(
  merchant: store.MerchantRecord,
  decision: KybDecision,
  kyb: store.KybCheckState,
  at: string,
  provider: string,
  clock: Clock,
): TransactItem[] {
  const actor = `system:kyb:${provider}`;
  const to =
    merchant.status !== 'pending_review' || decision === 'review'
      ? merchant.status
      : decision === 'approved'
        ? 'active'
        : 'rejected';
  const reason =
    decision === 'review'
      ? undefined
      : `KYB ${decision}${kyb.reasons?.length ? `: ${kyb.reasons.join(', ')}` : ''}`;
  return [
    ...store.statusChangeItems(merchant, to, at, {
      kyb,
      ...(reason && to !== merchant.status ? { statusReason: reason } : {}),
    }),
    to === merchant.status
      ? auditItem(
          {
            action: 'merchant.kyb_decided',
            subject: merchant.id,
            actor,
            metadata: { checkId: kyb.id, decision },
          },
          clock,
        )
      : statusAudit(merchant.id, merchant.status, to, actor, clock, reason),
  ];
}

/** Which condition refused the write: a replayed callback, a decided check, or a race (409 each). */
async function explainRefusal(callbackId: string, checkId: string): Promise<never> {
  const seen = await ddb().send(
    new GetCommand({ TableName: tableName(), Key: store.kybCallbackKey(callbackId), ConsistentRead: true }),
  );
  if (seen.Item) {
    throw new DomainError('conflict', 'callback_replayed', 'This KYB callback was already received.');
  }
  const check = await ddb().send(
    new GetCommand({ TableName: tableName(), Key: store.kybCheckKey(checkId), ConsistentRead: true }),
  );
  if (check.Item && !['pending', 'in_review'].includes(String(check.Item.status))) {
    throw new DomainError('conflict', 'kyb_check_decided', 'This KYB check already has its decision.');
  }
  throw new DomainError('conflict', 'concurrent_update', 'The merchant was changed meanwhile; retry.');
}
