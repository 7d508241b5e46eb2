/**
 * The sandbox IdentityProvider: decides from its test data, like Stripe Identity's test mode, and
 * delivers the decision the way a real provider does, by a callback signed with the shared secret.
 *
 *   document number ending in 0000  -> rejected   (reason `document_invalid`)
 *   document number ending in 1111  -> in_review  (an operator decides)
 *   any other                       -> verified
 *
 * The callback is delivered in-process, through `deliver` (the same use case the public callback
 * route runs, signature check included), right after `start`: the whole flow works under
 * `npm start` and in tests without any network. The document number is used for the decision and
 * then dropped; it is not stored, logged or sent in the callback.
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from '../lib/clock.ts';
import { newId } from '../lib/ids.ts';
import { signatureHeader } from '../webhooks/events.ts';
import type { IdentityDecision } from './policy.ts';
import type { IdentityCallbackEvent, IdentityCheckRequest, IdentityProvider } from './provider-port.ts';

/** Delivers a signed callback: the raw body and its signature header. */
export type CallbackDelivery = (rawBody: string, signature: string) => Promise<void>;

/** The sandbox's decision for a document number (its published test data). */
export function sandboxDecision(documentNumber: string): { decision: IdentityDecision; reasons: string[] } {
  if (documentNumber.endsWith('0000')) return { decision: 'rejected', reasons: ['document_invalid'] };
  if (documentNumber.endsWith('1111')) return { decision: 'in_review', reasons: ['manual_review_required'] };
  return { decision: 'verified', reasons: [] };
}

export class SandboxIdentityProvider implements IdentityProvider {
  readonly name = 'sandbox';
  readonly #secret: () => Promise<string>;
  readonly #deliver: CallbackDelivery;
  readonly #clock: () => Clock;

  constructor(secret: () => Promise<string>, deliver: CallbackDelivery, clock: () => Clock) {
    this.#secret = secret;
    this.#deliver = deliver;
    this.#clock = clock;
  }

  async start(request: IdentityCheckRequest): Promise<{ providerRef: string }> {
    const providerRef = `sandbox_vs_${randomBytes(12).toString('hex')}`;
    const { decision, reasons } = sandboxDecision(request.documentNumber);
    const now = this.#clock().now();
    const created = Math.floor(now.getTime() / 1000);
    const event: IdentityCallbackEvent = {
      id: newId('event', now),
      type: 'identity_verification.decided',
      created,
      data: { verificationId: request.verificationId, providerRef, decision, reasons },
    };
    const body = JSON.stringify(event);
    await this.#deliver(body, signatureHeader(body, [await this.#secret()], created));
    return { providerRef };
  }
}
