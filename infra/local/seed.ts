import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { auditItem } from '../../functions/lib/audit.ts';
import { clock } from '../../functions/lib/clock.ts';
import { ddb, tableName } from '../../functions/lib/dynamodb.ts';
import { newMerchant } from '../../functions/merchants/service.ts';
import { createMerchantItems, writeItems } from '../../functions/merchants/store.ts';
import { issueUsageKey, revokeUsageKey } from '../../functions/merchants/usage-keys.ts';

const MARKER = { pk: 'SEED#demo-merchant', sk: 'SEED' };

/**
 * Seeds exactly one demo merchant, even across restarts and concurrent starts: the marker and the
 * merchant are written in one transaction guarded by the marker's absence. The API key can only be
 * shown on the start that created it (it is stored hashed). Merchants start `pending_review`; the
 * demo merchant is created ACTIVE (so the demo can take payments at once), with the audit record an
 * operator's approval would leave. Where the gateway requires usage keys, its usage key is issued
 * (and shown) with it.
 */
export async function seedDemoMerchant(): Promise<{
  merchantId: string;
  apiKey?: string;
  usageKey?: string;
}> {
  const existing = await ddb().send(
    new GetCommand({ TableName: tableName(), Key: MARKER, ConsistentRead: true }),
  );
  if (existing.Item) return { merchantId: String(existing.Item.merchantId) };
  const built = newMerchant({ name: 'Demo Store', webhookUrl: undefined });
  const usageKey = await issueUsageKey(built.merchant.id, built.merchant.version);
  const merchant = {
    ...built.merchant,
    status: 'active' as const,
    statusReason: 'Seeded demo merchant',
    ...(usageKey ? { usageKeyId: usageKey.id } : {}),
  };
  const { apiKey } = built;
  try {
    await writeItems([
      ...createMerchantItems(merchant),
      auditItem(
        {
          action: 'merchant.activated',
          subject: merchant.id,
          actor: 'system:seed',
          reason: 'Seeded demo merchant',
          metadata: { from: 'pending_review', to: 'active' },
        },
        clock(),
      ),
      {
        Put: {
          TableName: tableName(),
          Item: { ...MARKER, type: 'seed', merchantId: merchant.id },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
    ]);
    return { merchantId: merchant.id, apiKey, ...(usageKey ? { usageKey: usageKey.value } : {}) };
  } catch {
    // Lost a race with another start: the other one seeded it.
    await revokeUsageKey(usageKey?.id, merchant.id);
    const again = await ddb().send(
      new GetCommand({ TableName: tableName(), Key: MARKER, ConsistentRead: true }),
    );
    if (!again.Item) throw new Error('could not seed the demo merchant');
    return { merchantId: String(again.Item.merchantId) };
  }
}
