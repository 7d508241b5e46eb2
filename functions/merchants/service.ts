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
 * its API key, shown this once. `actor` is the operator (their ARN) or `system:<what>`.
 */
export async function createMerchant(
  input: CreateMerchantBody,
  clock: Clock = defaultClock(),
  actor = 'system:unknown',
) {
  await assertWebhookUrl(input.webhookUrl);
  const { merchant, apiKey } = newMerchant(input, clock);
  await store.writeItems([
    ...store.createMerchantItems(merchant),
    auditItem({ action: 'merchant.created', subject: merchant.id, actor }, clock),
  ]);
  return { ...toResponse(merchant), apiKey };
}

/** A new key; the old one stops working when this commits. Audited. */
export async function rotateApiKey(id: string, clock: Clock = defaultClock(), actor = 'system:unknown') {
  const merchant = await store.requireMerchant(id);
  const apiKey = generateApiKey(merchant.livemode);
  const next: MerchantRecord = {
    ...merchant,
    apiKeyHash: hashApiKey(apiKey),
    apiKeyLast4: apiKey.slice(-4),
    updatedAt: clock.now().toISOString(),
    version: merchant.version + 1,
  };
  await store.replaceApiKey(merchant, next, [
    auditItem({ action: 'merchant.key_rotated', subject: id, actor }, clock),
  ]);
  return { ...toResponse(next), apiKey };
}

/** What `GET /v1/config` publishes; later issues read the same catalogue to enforce it. */
export function planCatalogue() {
  return { object: 'config' as const, ...DEFAULT_PLAN_CATALOGUE };
}
