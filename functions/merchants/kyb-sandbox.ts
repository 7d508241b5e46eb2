/**
 * The sandbox KYB provider: it decides from the test data, as a real provider's test mode does, and
 * delivers its decision as a signed callback through the same verification path a real provider's
 * callback takes. Registration number ending `0000`: rejected; ending `1111`: manual review (an
 * operator decides); anything else: approved.
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from '../lib/clock.ts';
import type { KybCallbackSink, KybCheckRequest, KybDecision, KybProvider } from './kyb-port.ts';
import { signKybCallback } from './kyb-signature.ts';

/** The sandbox's rule on its test data. */
export function sandboxKybDecision(registrationNumber: string): { decision: KybDecision; reasons: string[] } {
  if (registrationNumber.endsWith('0000'))
    return { decision: 'rejected', reasons: ['registration_not_found'] };
  if (registrationNumber.endsWith('1111')) return { decision: 'review', reasons: ['ownership_unclear'] };
  return { decision: 'approved', reasons: [] };
}

export function sandboxKybProvider(deliver: KybCallbackSink, clock: Clock): KybProvider {
  return {
    name: 'sandbox',
    async submit(request: KybCheckRequest) {
      const { decision, reasons } = sandboxKybDecision(request.business.registrationNumber);
      const at = clock.now();
      const body = JSON.stringify({
        id: `kybevt_${randomBytes(12).toString('hex')}`,
        checkId: request.checkId,
        decision,
        reasons,
        created: at.toISOString(),
      });
      await deliver(body, await signKybCallback(body, at));
    },
  };
}
