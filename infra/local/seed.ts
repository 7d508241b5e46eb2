import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { ddb, tableName } from '../../functions/lib/dynamodb.ts';
import { newMerchant } from '../../functions/merchants/service.ts';
import { createMerchantItems, writeItems } from '../../functions/merchants/store.ts';

const MARKER = { pk: 'SEED#demo-merchant', sk: 'SEED' };

/**
 * Seeds exactly one demo merchant, even across restarts and concurrent starts: the marker and the
 * merchant are written in one transaction guarded by the marker's absence. The API key can only be
 * shown on the start that created it (it is stored hashed).
 */
export async function seedDemoMerchant(): Promise<{ merchantId: string; apiKey?: string }> {
  const existing = await ddb().send(
    new GetCommand({ TableName: tableName(), Key: MARKER, ConsistentRead: true }),
  );
  if (existing.Item) return { merchantId: String(existing.Item.merchantId) };
  const { merchant, apiKey } = newMerchant({ name: 'Demo Store', webhookUrl: undefined });
  try {
    await writeItems([
      ...createMerchantItems(merchant),
      {
        Put: {
          TableName: tableName(),
          Item: { ...MARKER, type: 'seed', merchantId: merchant.id },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
    ]);
    return { merchantId: merchant.id, apiKey };
  } catch {
    // Lost a race with another start: the other one seeded it.
    const again = await ddb().send(
      new GetCommand({ TableName: tableName(), Key: MARKER, ConsistentRead: true }),
    );
    if (!again.Item) throw new Error('could not seed the demo merchant');
    return { merchantId: String(again.Item.merchantId) };
  }
}
