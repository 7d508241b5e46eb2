/**
 * The merchant usage-key port: each merchant gets an API Gateway API key (sent as `x-api-key`) on
 * the merchant usage plan, so the plan's throttle and quota apply to each merchant for itself. It
 * identifies and meters; it does not authenticate (the secret `sk_…` key does, ./auth.ts).
 * Adapters: API Gateway (./usage-keys-apigateway.ts) in AWS, the local gateway's registry
 * (infra/local/usage-keys.ts) locally. ./usage-keys.ts chooses; this port never reaches them.
 */

export interface UsageKeyRequest {
  merchantId: string;
  /** The key's name, unique per merchant and generation: `tessera-<stage>-<merchantId>-<generation>`. */
  name: string;
  /** The key value the caller generated (so a retried create is recognised by it); at least 20 characters. */
  value: string;
}

export interface UsageKeys {
  /**
   * Creates the enabled key and attaches it to the merchant usage plan; resolves to its id. Safe to
   * retry with the same request: an existing key with this name and value is reused, an existing
   * attachment is kept. When the attachment fails, the new key is deleted before the error is thrown.
   */
  issue(request: UsageKeyRequest): Promise<string>;
  /** Deletes key `id` (it stops working at the gateway); a key already gone is no error. */
  revoke(id: string): Promise<void>;
}
