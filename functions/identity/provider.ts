/**
 * The process-wide IdentityProvider. Only the sandbox exists so far (test mode): its signed callback
 * is delivered in-process to the same use case as the public callback route. A real provider's
 * adapter is chosen here, never by callers.
 */
import { clock } from '../lib/clock.ts';
import { receiveCallback } from './callback.ts';
import { identityCallbackSecret } from './callback-secret.ts';
import type { IdentityProvider } from './provider-port.ts';
import { SandboxIdentityProvider } from './sandbox-provider.ts';

let current: IdentityProvider | undefined;

/** Replaces the provider (tests); undefined rebuilds the sandbox. */
export function setIdentityProvider(next: IdentityProvider | undefined): void {
  current = next;
}

export function identityProvider(): IdentityProvider {
  current ??= new SandboxIdentityProvider(
    identityCallbackSecret,
    async (body, signature) => {
      await receiveCallback(body, signature, clock());
    },
    clock,
  );
  return current;
}
