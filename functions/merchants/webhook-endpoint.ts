import { tableName } from '../lib/dynamodb.ts';
import type { TransactItem } from '../lib/transactions.ts';
import { getMerchant } from './store.ts';

/**
 * A merchant's webhook endpoint lives on the merchant record (MERCHANT#<id> / MERCHANT), so the
 * URL a merchant was created with and the one it registers later can never disagree:
 *   webhookUrl                       where events go
 *   webhookSecret                    the signing secret, ENCRYPTED (base64 of a KeyService blob
 *                                    under SECRETS_KEY_ID); never plaintext, never in a response
 *   webhookSecretCreatedAt
 *   webhookPreviousSecret            the secret replaced by the last registration, encrypted; it
 *   webhookPreviousSecretExpiresAt   keeps signing (a second v1) until then, so receivers can roll
 * Every change is a conditional write on the merchant's `version`.
 */
export interface WebhookEndpointState {
  merchantId: string;
  version: number;
  url?: string;
  secretCiphertext?: string;
  secretCreatedAt?: string;
  previousSecretCiphertext?: string;
  previousSecretExpiresAt?: string;
}

export async function getWebhookEndpoint(merchantId: string): Promise<WebhookEndpointState | undefined> {
  const merchant = (await getMerchant(merchantId)) as
    | (Awaited<ReturnType<typeof getMerchant>> & {
        webhookSecretCreatedAt?: string;
        webhookPreviousSecret?: string;
        webhookPreviousSecretExpiresAt?: string;
      })
    | undefined;
  if (!merchant) return undefined;
  return {
    merchantId: merchant.id,
    version: merchant.version,
    ...(merchant.webhookUrl ? { url: merchant.webhookUrl } : {}),
    ...(merchant.webhookSecret ? { secretCiphertext: merchant.webhookSecret } : {}),
    ...(merchant.webhookSecretCreatedAt ? { secretCreatedAt: merchant.webhookSecretCreatedAt } : {}),
    ...(merchant.webhookPreviousSecret ? { previousSecretCiphertext: merchant.webhookPreviousSecret } : {}),
    ...(merchant.webhookPreviousSecretExpiresAt
      ? { previousSecretExpiresAt: merchant.webhookPreviousSecretExpiresAt }
      : {}),
  };
}

/**
 * Sets the endpoint and its new secret; the old secret, if any, stays valid until
 * `previousExpiresAt`. Conditional on the version read, so a concurrent change makes it fail.
 */
export function setWebhookEndpointItem(
  current: WebhookEndpointState,
  next: { url: string; secretCiphertext: string; at: string; previousExpiresAt: string },
): TransactItem {
  const keepPrevious = current.secretCiphertext !== undefined;
  return {
    Update: {
      TableName: tableName(),
      Key: { pk: `MERCHANT#${current.merchantId}`, sk: 'MERCHANT' },
      UpdateExpression: [
        'SET webhookUrl = :url, webhookSecret = :secret, webhookSecretCreatedAt = :at, updatedAt = :at,',
        'version = version + :one',
        keepPrevious
          ? ', webhookPreviousSecret = :previous, webhookPreviousSecretExpiresAt = :previousExpiresAt'
          : 'REMOVE webhookPreviousSecret, webhookPreviousSecretExpiresAt',
      ].join(' '),
      ConditionExpression: 'attribute_exists(pk) AND version = :version',
      ExpressionAttributeValues: {
        ':url': next.url,
        ':secret': next.secretCiphertext,
        ':at': next.at,
        ':one': 1,
        ':version': current.version,
        ...(keepPrevious
          ? { ':previous': current.secretCiphertext, ':previousExpiresAt': next.previousExpiresAt }
          : {}),
      },
    },
  };
}
