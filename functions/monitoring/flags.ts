/**
 * The monitoring capability's face (so far): account flags that block money leaving an account.
 * Flags are raised by account monitoring (a later issue) as items `CUSTOMER#<id> / FLAG#<flagId>`
 * with `status` (`open` | `resolved`) and `severity` (`low` | `medium` | `high`); this face reads
 * them, and writes one (`flagItem`) for the monitoring work and for tests.
 */
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ddb, tableName } from '../lib/dynamodb.ts';
import { newId } from '../lib/ids.ts';
import type { TransactItem } from '../lib/transactions.ts';

export type FlagSeverity = 'low' | 'medium' | 'high';

/** True while the customer has an open flag of high severity. One query on the customer's partition. */
export async function hasOpenHighSeverityFlag(customerId: string): Promise<boolean> {
  const { Items } = await ddb().send(
    new QueryCommand({
      TableName: tableName(),
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :flag)',
      FilterExpression: '#status = :open AND severity = :high',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':pk': `CUSTOMER#${customerId}`,
        ':flag': 'FLAG#',
        ':open': 'open',
        ':high': 'high',
      },
      ConsistentRead: true,
    }),
  );
  return (Items ?? []).length > 0;
}

/** A new open flag on the customer (the monitoring rules raise these). */
export function flagItem(
  customerId: string,
  flag: { rule: string; severity: FlagSeverity },
  at: Date,
): TransactItem {
  const id = newId('flag', at);
  return {
    Put: {
      TableName: tableName(),
      Item: {
        pk: `CUSTOMER#${customerId}`,
        sk: `FLAG#${id}`,
        type: 'accountFlag',
        id,
        customerId,
        rule: flag.rule,
        severity: flag.severity,
        status: 'open',
        createdAt: at.toISOString(),
      },
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  };
}
