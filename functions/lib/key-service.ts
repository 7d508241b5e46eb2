/**
 * Chooses the process-wide key service (the port is `key-service-port.ts`, re-exported here so callers
 * import one module). In AWS it is `KmsKeyService`. The local adapter is never imported from here:
 * the local runtime and the tests register it with `setLocalKeyServiceFactory`, so Lambda bundles
 * (which follow imports from the handler) never contain the local file-system key store.
 */
import { config } from './config.ts';
import { KmsKeyService } from './key-service-kms.ts';
import type { KeyService } from './key-service-port.ts';

export * from './key-service-port.ts';

let shared: KeyService | undefined;
let localFactory: ((dataDir: string) => KeyService) | undefined;

/**
 * The process-wide key service: KMS in AWS; in the local runtime (`TESSERA_LOCAL=1`) the one the
 * registered local factory builds for `TESSERA_DATA_DIR`.
 * @throws Error when `TESSERA_LOCAL=1` and no local factory was registered (never falls back to KMS).
 */
export function keyService(): KeyService {
  if (!shared) {
    const { isLocal, TESSERA_DATA_DIR } = config();
    if (!isLocal) shared = new KmsKeyService();
    else if (localFactory) shared = localFactory(TESSERA_DATA_DIR);
    else throw new Error('TESSERA_LOCAL=1 but no local key service: call setLocalKeyServiceFactory first');
  }
  return shared;
}

/** Tests and the local runtime install their own; `undefined` goes back to the default. */
export function setKeyService(next: KeyService | undefined): void {
  shared = next;
}

/**
 * How the local runtime builds its key service (`(dataDir) => new LocalKeyService({ dataDir })`).
 * Registered by `infra/local` and the test setup, never by a handler.
 */
export function setLocalKeyServiceFactory(make: ((dataDir: string) => KeyService) | undefined): void {
  localFactory = make;
}
