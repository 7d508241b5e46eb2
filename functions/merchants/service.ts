import { hash, randomBytes } from 'node:crypto';
import { DEFAULT_PLAN_CATALOGUE } from '../installments/terms.ts';
import { type Clock, clock as defaultClock } from '../lib/clock.ts';
import { config } from '../lib/config.ts';
import { unprocessable } from '../lib/errors.ts';
import { newId } from '../lib/ids.ts';
import { webhookUrlProblemAfterDns } from '../lib/outbound.ts';
import type { CreateMerchantBody, MerchantResponse, MerchantStatus } from './schema.ts';
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
    ...(merchant.webhookUrl ? { webhookUrl: merchant.webhookUrl } : {}),
    apiKeyLast4: merchant.apiKeyLast4,
    createdAt: merchant.createdAt,
    updatedAt: merchant.updatedAt,
  };
}

/**
 * Builds a new merchant and its key without writing, so callers can add items to the transaction.
 * The caller checks `input.webhookUrl` first (assertWebhookUrl, which resolves DNS).
 */
export function newMerchant(input: CreateMerchantBody, clock: Clock = defaultClock()) {
  const now = clock.now();
  const livemode = config().STAGE === 'prod';
  const apiKey = generateApiKey(livemode);
  const merchant: MerchantRecord = {
    id: newId('merchant', now),
    name: input.name,
    status: 'active',
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

export async function createMerchant(input: CreateMerchantBody, clock: Clock = defaultClock()) {
  await assertWebhookUrl(input.webhookUrl);
  const { merchant, apiKey } = newMerchant(input, clock);
  await store.writeItems(store.createMerchantItems(merchant));
  return { ...toResponse(merchant), apiKey };
}

/** Suspension or activation; asking for the current status again is a no-op, not an error. */
export async function setStatus(id: string, status: MerchantStatus, clock: Clock = defaultClock()) {
  const merchant = await store.requireMerchant(id);
  if (merchant.status === status) return toResponse(merchant);
  const at = clock.now().toISOString();
  await store.updateStatus(merchant, status, at);
  return toResponse({ ...merchant, status, updatedAt: at, version: merchant.version + 1 });
}

export async function rotateApiKey(id: string, clock: Clock = defaultClock()) {
  const merchant = await store.requireMerchant(id);
  const apiKey = generateApiKey(merchant.livemode);
  const next: MerchantRecord = {
    ...merchant,
    apiKeyHash: hashApiKey(apiKey),
    apiKeyLast4: apiKey.slice(-4),
    updatedAt: clock.now().toISOString(),
    version: merchant.version + 1,
  };
  await store.replaceApiKey(merchant, next);
  return { ...toResponse(next), apiKey };
}

/** What `GET /v1/config` publishes; later issues read the same catalogue to enforce it. */
export function planCatalogue() {
  return { object: 'config' as const, ...DEFAULT_PLAN_CATALOGUE };
}
