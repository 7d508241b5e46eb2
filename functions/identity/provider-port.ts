/**
 * The IdentityProvider port: a document check by an outside provider (Stripe Identity, Persona,
 * Onfido). Tessera starts a check and learns the decision later, from a callback signed by the
 * provider (`Tessera-Identity-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "t.body")>`, the
 * scheme of Stripe's webhooks), so a decision can never be forged by whoever can reach the callback
 * URL. This module imports no adapter: `provider.ts` chooses.
 */
import type { DocumentType, IdentityDecision } from './policy.ts';

export interface IdentityCheckRequest {
  /** Our verification id (`idv_…`): the provider echoes it in its callback. */
  verificationId: string;
  documentType: DocumentType;
  /** Passed to the provider only; Tessera stores a keyed hash and the last 4, never this. */
  documentNumber: string;
  /** ISO 3166-1 alpha-2 issuing country. */
  country: string;
}

export interface IdentityProvider {
  readonly name: string;
  /** Starts a check; the decision arrives later through the signed callback. Returns the provider's reference. */
  start(request: IdentityCheckRequest): Promise<{ providerRef: string }>;
}

/** The callback body every adapter sends (the provider's own format is mapped to it by its adapter). */
export interface IdentityCallbackEvent {
  /** Unique per event: a replay of the same event is refused. */
  id: string;
  type: 'identity_verification.decided';
  /** Unix seconds. */
  created: number;
  data: { verificationId: string; providerRef: string; decision: IdentityDecision; reasons: string[] };
}

export const IDENTITY_SIGNATURE_HEADER = 'Tessera-Identity-Signature';
