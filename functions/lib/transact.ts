import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { ddb, transactionCancelReasons } from './dynamodb.ts';
import type { TransactItem } from './idempotency.ts';

export type TransactOutcome = { ok: true } | { ok: false; reasons: string[] };

/**
 * Writes `items` in one DynamoDB transaction outside an idempotent request (sign-in, 2FA, audits).
 * A cancellation comes back as its per-item reasons (`ConditionalCheckFailed`, `None`, …) for the
 * caller to map; any other error is thrown. No items: nothing is written.
 */
export async function transact(items: TransactItem[]): Promise<TransactOutcome> {
  if (items.length === 0) return { ok: true };
  try {
    await ddb().send(new TransactWriteCommand({ TransactItems: items }));
    return { ok: true };
  } catch (error) {
    const reasons = transactionCancelReasons(error);
    if (!reasons) throw error;
    return { ok: false, reasons };
  }
}
