/**
 * Chooses the payout provider. Only the sandbox exists: it serves test mode; live mode (stage `prod`)
 * needs a bank partner's adapter and refuses to pay out without one. Tests may set another.
 */
import { config } from '../lib/config.ts';
import type { PayoutProvider } from './payout-port.ts';
import { sandboxPayoutProvider } from './payout-sandbox.ts';

let override: PayoutProvider | undefined;

export function setPayoutProvider(provider: PayoutProvider | undefined): void {
  override = provider;
}

export function payoutProvider(): PayoutProvider {
  if (override) return override;
  if (config().STAGE === 'prod') {
    throw new Error('No live payout provider is configured: the sandbox serves test mode only.');
  }
  return sandboxPayoutProvider;
}
