/**
 * Merchant usage keys in API Gateway: `CreateApiKey`, then `CreateUsagePlanKey` onto the merchant
 * usage plan; `DeleteApiKey` to revoke. The plan is found by its name (`MERCHANT_USAGE_PLAN_NAME`)
 * once per container: its id cannot be passed to this function at deploy time, because the plan
 * names the stage, the stage's deployment waits for every method, and the methods wait for this
 * function (docs/adr/0025-api-routes-in-capability-stacks.md). Key values are never logged or put in errors.
 */
import { apiGatewayClient, apiGatewaySdk } from '../lib/api-gateway.ts';
import type { UsageKeyRequest, UsageKeys } from './usage-keys-port.ts';

const named = (error: unknown, name: string) => (error as { name?: unknown } | null)?.name === name;

export function apiGatewayUsageKeys(planName: string, stage: string): UsageKeys {
  let planId: Promise<string> | undefined;
  const plan = () => {
    planId ??= findPlan(planName).catch((error: unknown) => {
      planId = undefined;
      throw error;
    });
    return planId;
  };

  return {
    async issue(request: UsageKeyRequest): Promise<string> {
      const [client, sdk, usagePlanId] = await Promise.all([apiGatewayClient(), apiGatewaySdk(), plan()]);
      const keyId = await createKey(request, stage);
      try {
        await client.send(new sdk.CreateUsagePlanKeyCommand({ usagePlanId, keyId, keyType: 'API_KEY' }));
      } catch (error) {
        // Already attached (a retry after a lost response): done.
        if (named(error, 'ConflictException')) return keyId;
        await client.send(new sdk.DeleteApiKeyCommand({ apiKey: keyId })).catch(() => undefined);
        throw error;
      }
      return keyId;
    },
    async revoke(id: string): Promise<void> {
      const [client, sdk] = await Promise.all([apiGatewayClient(), apiGatewaySdk()]);
      try {
        await client.send(new sdk.DeleteApiKeyCommand({ apiKey: id }));
      } catch (error) {
        if (!named(error, 'NotFoundException')) throw error;
      }
    },
  };
}

/** Creates the key; a conflict means a retry already created it (values are unique): its id is reused. */
async function createKey(request: UsageKeyRequest, stage: string): Promise<string> {
  const [client, sdk] = await Promise.all([apiGatewayClient(), apiGatewaySdk()]);
  try {
    const created = await client.send(
      new sdk.CreateApiKeyCommand({
        name: request.name,
        value: request.value,
        enabled: true,
        description: `Tessera ${stage}: usage key of merchant ${request.merchantId}`,
      }),
    );
    if (!created.id) throw new Error('CreateApiKey answered without an id');
    return created.id;
  } catch (error) {
    if (!named(error, 'ConflictException')) throw error;
    const found = await client.send(
      new sdk.GetApiKeysCommand({ nameQuery: request.name, includeValues: true, limit: 500 }),
    );
    const same = found.items?.find((key) => key.name === request.name && key.value === request.value);
    if (!same?.id) throw error;
    return same.id;
  }
}

/** The usage plan's id by its name; exactly one plan must have it. */
async function findPlan(name: string): Promise<string> {
  const [client, sdk] = await Promise.all([apiGatewayClient(), apiGatewaySdk()]);
  const ids: string[] = [];
  let position: string | undefined;
  do {
    const page = await client.send(new sdk.GetUsagePlansCommand({ limit: 500, position }));
    for (const item of page.items ?? []) if (item.name === name && item.id) ids.push(item.id);
    position = page.position;
  } while (position);
  const [only, ...more] = ids;
  if (!only || more.length > 0) {
    throw new Error(`Expected one usage plan named ${name}, found ${ids.length}`);
  }
  return only;
}
