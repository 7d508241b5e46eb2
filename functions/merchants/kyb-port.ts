/**
 * The KYB (know your business) provider port: a merchant's legal entity is checked by a provider
 * (Middesk, Onfido, Persona… in production; the sandbox here). A check is submitted, and the
 * provider delivers its decision later by a signed callback (`POST /v1/kyb/callbacks`, verified by
 * ./kyb.ts), as identity providers do. The port never reaches its adapters; ./kyb-provider.ts chooses.
 */
import type { BusinessDetails } from './schema.ts';

export interface KybCheckRequest {
  /** Our check id (`kyb_…`): the callback names it. */
  checkId: string;
  merchantId: string;
  business: BusinessDetails;
}

/** What a provider's callback decides: `review` means a person at the provider looks at it. */
export type KybDecision = 'approved' | 'rejected' | 'review';

/** Delivers a signed callback body (the raw bytes and the `Kyb-Signature` header) to Tessera. */
export type KybCallbackSink = (rawBody: string, signature: string) => Promise<void>;

export interface KybProvider {
  /** Stored on the check and named in audit records (`system:kyb:<name>`). */
  readonly name: string;
  /** Submits the check. Resolves once submitted; the decision comes by callback. */
  submit(request: KybCheckRequest): Promise<void>;
}
