/**
 * Chooses the KYB provider. Only the sandbox exists so far: it serves test mode; live mode (stage
 * `prod`) needs a real provider adapter and refuses to run without one, as the card processor does.
 */
import type { Clock } from '../lib/clock.ts';
import { config } from '../lib/config.ts';
import type { KybCallbackSink, KybProvider } from './kyb-port.ts';
import { sandboxKybProvider } from './kyb-sandbox.ts';

export function kybProvider(deliver: KybCallbackSink, clock: Clock): KybProvider {
  if (config().STAGE === 'prod') {
    throw new Error('No live KYB provider is configured: the sandbox serves test mode only.');
  }
  return sandboxKybProvider(deliver, clock);
}
