import { hash, randomBytes } from 'node:crypto';
import { DEFAULT_PLAN_CATALOGUE } from '../installments/terms.ts';
import { auditItem } from '../lib/audit.ts';
import { type Clock, clock as defaultClock } from '../lib/clock.ts';
import { config } from '../lib/config.ts';
import { unprocessable } from '../lib/errors.ts';
import { newId } from '../lib/ids.ts';
import { webhookUrlProblemAfterDns } from '../lib/outbound.ts';
import type { CreateMerchantBody, MerchantResponse } from './schema.ts';
import type { MerchantRecord } from './store.ts';
import * as store from './store.ts';
import { issueUsageKey, revokeUsageKey } from './usage-keys.ts';

/** 32 bytes from the CSPRNG: 256 bits, shown once, stored only as SHA-256. */
export function generateApiKey(livemode: boolean): string {
  return `sk_${livemode ? 'live' : 'test'}_${randomBytes(32).toString('base64url')}`;
}

export function hashApiKey(apiKey: string): string {
  // One-shot hash (no Hash object): this runs on every merchant request.
  return hash('sha256', apiKey);
}

/**
 * The webhook URL an operator sets at creation obeys the same rules as a registered one
 * (functions/lib/outbound.ts): https, no credentials, no special-purpose address, literal or
 * resolved. Raises 422 webhook_url_insecure or webhook_url_forbidden on `webhookUrl`.
 */
export async function assertWebhookUrl(url: string | undefined): Promise<void> {
  if (url === undefined) return;
  const problem = await webhookUrlProblemAfterDns(url);
  if (problem) throw unprocessable(problem.code, problem.message, 'webhookUrl');
}

export function toResponse(merchant: MerchantRecord): MerchantResponse {
  return {
    id: merchant.id,
    object: 'merchant',
    name: merchant.name,
    status: merchant.status,
    ...(merchant.statusReason ? { statusReason: merchant.statusReason } : {}),
    ...(merchant.kyb
      ? {
          kyb: {
            id: merchant.kyb.id,
            status: merchant.kyb.status,
            provider: merchant.kyb.provider,
            createdAt: merchant.kyb.createdAt,
            ...(merchant.kyb.decidedAt ? { decidedAt: merchant.kyb.decidedAt } : {}),
          },
        }
      : {}),
    ...(merchant.webhookUrl ? { webhookUrl: merchant.webhookUrl } : {}),
    apiKeyLast4: merchant.apiKeyLast4,
    createdAt: merchant.createdAt,
    updatedAt: merchant.updatedAt,
  };
}

/**
 * Builds a new merchant and its key without writing, so callers can add items to the transaction.
 * The caller checks `input.webhookUrl` first (assertWebhookUrl, which resolves DNS). Every merchant
 * starts `pending_review` (ARCHITECTURE.md: only a merchant whose compliance checks passed takes
 * payments); a KYB decision or an operator activates it (./compliance.ts, ./kyb.ts).
 */
export function newMerchant(input: CreateMerchantBody, clock: Clock = defaultClock()) {
  const now = clock.now();
  const livemode = config().STAGE === 'prod';
  const apiKey = generateApiKey(livemode);
  const merchant: MerchantRecord = {
    id: newId('merchant', now),
    name: input.name,
    status: 'pending_review',
    ...(input.business
      ? {
          business: {
            legalName: input.business.legalName,
            registrationNumberLast4: input.business.registrationNumber.slice(-4),
            country: input.business.country,
          },
        }
      : {}),
    ...(input.webhookUrl ? { webhookUrl: input.webhookUrl } : {}),
    apiKeyHash: hashApiKey(apiKey),
    apiKeyLast4: apiKey.slice(-4),
    livemode,
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
    version: 1,
  };
  return { merchant, apiKey };
}

/**
 * Creates a merchant (`pending_review`) with its audit record in one transaction; returns it with
 * its secret API key and, where merchant methods require one, its usage key (`x-api-key`, issued
 * onto the merchant usage plan first: ./usage-keys.ts), both shown this once. Only the usage key's
 * id is stored. When the write fails, the usage key is revoked: no key outlives a merchant that was
 * never created. `actor` is the operator (their ARN) or `system:<what>`.
 */
export async function createMerchant(
  input: CreateMerchantBody,
  clock: Clock = defaultClock(),
  actor = 'system:unknown',
) {
  await assertWebhookUrl(input.webhookUrl);
  const { merchant, apiKey } = newMerchant(input, clock);
  const usageKey = await issueUsageKey(merchant.id, merchant.version);
  const stored: MerchantRecord = usageKey ? { ...merchant, usageKeyId: usageKey.id } : merchant;
  try {
    await store.writeItems([
      ...store.createMerchantItems(stored),
      auditItem({ action: 'merchant.created', subject: merchant.id, actor }, clock),
    ]);
  } catch (error) {
    await revokeUsageKey(usageKey?.id, merchant.id);
    throw error;
  }
  return { ...toResponse(stored), apiKey, ...(usageKey ? { usageKey: usageKey.value } : {}) };
}

/**
 * A new secret key, and a new usage key where merchant methods require one (also for a merchant
 * that had none yet: rotating is how a merchant created before keys were required gets one). The
 * old secret key stops working when this commits; the old usage key is deleted right after. If
 * the write fails, the new usage key is deleted and the old ones keep working. Audited.
 */
export async function rotateApiKey(id: string, clock: Clock = defaultClock(), actor = 'system:unknown') {
  const merchant = await store.requireMerchant(id);
  const apiKey = generateApiKey(merchant.livemode);
  const usageKey = await issueUsageKey(merchant.id, merchant.version + 1);
  const next: MerchantRecord = {
    ...merchant,
    apiKeyHash: hashApiKey(apiKey),
    apiKeyLast4: apiKey.slice(-4),
    ...(usageKey ? { usageKeyId: usageKey.id } : {}),
    updatedAt: clock.now().toISOString(),
    version: merchant.version + 1,
  };
  try {
    await store.replaceApiKey(merchant, next, [
      auditItem({ action: 'merchant.key_rotated', subject: id, actor }, clock),
    ]);
  } catch (error) {
    await revokeUsageKey(usageKey?.id, merchant.id);
    throw error;
  }
  if (usageKey) await revokeUsageKey(merchant.usageKeyId, merchant.id);
  return { ...toResponse(next), apiKey, ...(usageKey ? { usageKey: usageKey.value } : {}) };
}

/** What `GET /v1/config` publishes; later issues read the same catalogue to enforce it. */
export function planCatalogue() {
  return { object: 'config' as const, ...DEFAULT_PLAN_CATALOGUE };
}
