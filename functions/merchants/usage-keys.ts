/**
 * Chooses the merchant usage-key adapter (the port: ./usage-keys-port.ts) and issues keys for the
 * onboarding and rotation use cases. In AWS: API Gateway, when the function has
 * `MERCHANT_USAGE_PLAN_NAME` (merchant methods require a key: context `merchantApiKeys`). Locally:
 * the adapter the local runtime registers with `setLocalUsageKeys` (never imported from here, so no
 * Lambda bundle contains it), when its gateway requires keys. Otherwise none: no key is issued.
 */
import { randomBytes } from 'node:crypto';
import { config } from '../lib/config.ts';
import { logger } from '../lib/logger.ts';
import { apiGatewayUsageKeys } from './usage-keys-apigateway.ts';
import type { UsageKeys } from './usage-keys-port.ts';

let local: UsageKeys | undefined;
let shared: UsageKeys | undefined;

/** The local runtime's adapter (its gateway then requires `x-api-key`); `undefined` turns keys off. */
export function setLocalUsageKeys(adapter: UsageKeys | undefined): void {
  local = adapter;
}

/** Tests install their own; `undefined` goes back to the default choice. */
export function setUsageKeys(adapter: UsageKeys | undefined): void {
  shared = adapter;
}

export function usageKeys(): UsageKeys | undefined {
  if (shared) return shared;
  const { isLocal, MERCHANT_USAGE_PLAN_NAME, STAGE } = config();
  if (isLocal) return local;
  if (!MERCHANT_USAGE_PLAN_NAME) return undefined;
  shared = apiGatewayUsageKeys(MERCHANT_USAGE_PLAN_NAME, STAGE);
  return shared;
}

/** A new key's value and id, once attached to the plan. The value goes to the merchant only. */
export interface IssuedUsageKey {
  id: string;
  value: string;
}

/**
 * Issues merchant `merchantId`'s usage key of `generation` (the merchant record's version that will
 * hold it), or nothing where keys are off. 192 random bits, hex (API Gateway takes 20-128 characters).
 * Errors of the adapter propagate (a dependency outage maps to 503): nothing has been written yet.
 */
export async function issueUsageKey(
  merchantId: string,
  generation: number,
): Promise<IssuedUsageKey | undefined> {
  const adapter = usageKeys();
  if (!adapter) return undefined;
  const value = randomBytes(24).toString('hex');
  const id = await adapter.issue({
    merchantId,
    name: `tessera-${config().STAGE}-${merchantId}-${generation}`,
    value,
  });
  return { id, value };
}

/**
 * Revokes a usage key that is no longer (or was never) on a merchant record. Best effort: a failure
 * is logged with the key id (never its value) for an operator to delete it (docs/runbook.md), and
 * never fails the caller, whose own change has committed or already failed for its own reason.
 */
export async function revokeUsageKey(id: string | undefined, merchantId: string): Promise<void> {
  const adapter = usageKeys();
  if (!id || !adapter) return;
  try {
    await adapter.revoke(id);
  } catch (error) {
    logger.error('usage key not revoked: delete it by hand', { usageKeyId: id, merchantId, error });
  }
}
